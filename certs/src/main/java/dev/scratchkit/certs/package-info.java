/**
 * CA bundles for {@code FROM scratch} images: load trust anchors (the JDK's {@code cacerts},
 * any keystore, PEM files), filter and deduplicate them, and write them in the formats TLS
 * clients look for (PEM bundle, PKCS12 trust store, OpenSSL hashed directory).
 *
 * <p>The entry point is {@link dev.scratchkit.certs.CaBundle}; failures are
 * {@link dev.scratchkit.certs.TrustStoreException}.
 */
package dev.scratchkit.certs;
