package dev.scratchkit.testing;

/** The container engines an {@link ImageRunner} can use, in the order {@link ImageRunner#detect()} tries them. */
public enum Engine {
  /** A Docker engine through the {@code docker} command line: {@code DOCKER_HOST}, or the default socket. */
  DOCKER,
  /** {@code podman}, rootful or rootless, with {@code --ulimit nofile=1024:1024 --ulimit nproc=1024:1024}. */
  PODMAN,
  /** {@code runc} as root, on a bundle that {@code umoci unpack} makes from an OCI layout. */
  RUNC
}
