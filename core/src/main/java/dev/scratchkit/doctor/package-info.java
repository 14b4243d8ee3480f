/**
 * The doctor: why an image would not run, whoever built it. {@link dev.scratchkit.doctor.ImageDoctor}
 * reads a {@code docker save} tar, an OCI layout or an OCI archive as the runtime will see it and
 * returns a {@link dev.scratchkit.doctor.Diagnosis} of {@link dev.scratchkit.doctor.Finding}s, each
 * with a stable code, a {@link dev.scratchkit.doctor.Severity}, the run-time error the container
 * would print and the fix.
 */
package dev.scratchkit.doctor;
