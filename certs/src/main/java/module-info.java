/**
 * CA certificates: loads trust anchors (the JDK's cacerts, any keystore, PEM), filters,
 * deduplicates and orders them, and writes them as PEM bundles or keystores.
 */
module dev.scratchkit.certs {
  requires transitive dev.scratchkit.base;
  requires org.bouncycastle.provider;
  requires org.slf4j;

  exports dev.scratchkit.certs;
}
