package io.connectedregistry.iotedgedev;

import java.io.IOException;
import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.GeneralSecurityException;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.SecureRandom;
import java.security.cert.X509Certificate;
import java.security.spec.ECGenParameterSpec;
import java.time.Duration;
import java.time.Instant;
import java.util.Base64;
import java.util.Date;
import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.asn1.x509.BasicConstraints;
import org.bouncycastle.asn1.x509.ExtendedKeyUsage;
import org.bouncycastle.asn1.x509.Extension;
import org.bouncycastle.asn1.x509.GeneralName;
import org.bouncycastle.asn1.x509.GeneralNames;
import org.bouncycastle.asn1.x509.KeyPurposeId;
import org.bouncycastle.asn1.x509.KeyUsage;
import org.bouncycastle.cert.X509v3CertificateBuilder;
import org.bouncycastle.cert.jcajce.JcaX509CertificateConverter;
import org.bouncycastle.cert.jcajce.JcaX509ExtensionUtils;
import org.bouncycastle.cert.jcajce.JcaX509v3CertificateBuilder;
import org.bouncycastle.operator.OperatorCreationException;
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder;

/**
 * The stand-in's edge CA and the edgeHub server certificate it signs (names 127.0.0.1 and
 * localhost), as PEM files in one folder:
 *
 * <pre>
 *   ca.pem           the edge CA certificate: the workload API's trust bundle, EdgeModuleCACertificateFile
 *   ca-key.pem       its key (PKCS#8)
 *   server.pem       the server certificate followed by ca.pem
 *   server-key.pem   its key (PKCS#8)
 * </pre>
 *
 * A folder that already holds all four is used as it is (given certificates, or the ones a previous
 * run made, so a module that kept the CA still trusts the stand-in). Keys are EC P-256 from the
 * JDK; Bouncy Castle only builds the certificates, with the JDK's providers, so the shaded jar
 * needs no signed provider jar.
 */
final class EdgeCa {

  static final String CA = "ca.pem";
  static final String CA_KEY = "ca-key.pem";
  static final String SERVER = "server.pem";
  static final String SERVER_KEY = "server-key.pem";

  private static final Duration VALIDITY = Duration.ofDays(365);

  private final Path dir;

  private EdgeCa(Path dir) {
    this.dir = dir;
  }

  /** The CA in this folder, made first if the folder lacks any of the four files. */
  static EdgeCa inFolder(Path dir) throws IOException {
    Files.createDirectories(dir);
    EdgeCa ca = new EdgeCa(dir);
    if (!(Files.isRegularFile(ca.caCert())
        && Files.isRegularFile(dir.resolve(CA_KEY))
        && Files.isRegularFile(ca.serverCertChain())
        && Files.isRegularFile(ca.serverKey()))) {
      ca.generate();
    }
    return ca;
  }

  Path caCert() {
    return dir.resolve(CA);
  }

  Path serverCertChain() {
    return dir.resolve(SERVER);
  }

  Path serverKey() {
    return dir.resolve(SERVER_KEY);
  }

  String caPem() throws IOException {
    return Files.readString(caCert(), StandardCharsets.US_ASCII);
  }

  private void generate() throws IOException {
    try {
      Instant now = Instant.now();
      KeyPair caKeys = ecKeyPair();
      X500Name caName = new X500Name("CN=iotedge-dev edge CA");
      JcaX509ExtensionUtils ext = new JcaX509ExtensionUtils();
      X509v3CertificateBuilder caBuilder =
          new JcaX509v3CertificateBuilder(
                  caName, serial(), Date.from(now.minus(Duration.ofHours(1))),
                  Date.from(now.plus(VALIDITY)), caName, caKeys.getPublic())
              .addExtension(Extension.basicConstraints, true, new BasicConstraints(0))
              .addExtension(
                  Extension.keyUsage, true, new KeyUsage(KeyUsage.keyCertSign | KeyUsage.cRLSign))
              .addExtension(
                  Extension.subjectKeyIdentifier, false,
                  ext.createSubjectKeyIdentifier(caKeys.getPublic()));
      X509Certificate caCert = sign(caBuilder, caKeys);

      KeyPair serverKeys = ecKeyPair();
      X509v3CertificateBuilder serverBuilder =
          new JcaX509v3CertificateBuilder(
                  caCert, serial(), Date.from(now.minus(Duration.ofHours(1))),
                  Date.from(now.plus(VALIDITY)), new X500Name("CN=localhost"),
                  serverKeys.getPublic())
              .addExtension(Extension.basicConstraints, true, new BasicConstraints(false))
              .addExtension(
                  Extension.keyUsage, true,
                  new KeyUsage(KeyUsage.digitalSignature | KeyUsage.keyAgreement))
              .addExtension(
                  Extension.extendedKeyUsage, false,
                  new ExtendedKeyUsage(KeyPurposeId.id_kp_serverAuth))
              .addExtension(
                  Extension.subjectAlternativeName, false,
                  new GeneralNames(new GeneralName[] {
                    new GeneralName(GeneralName.iPAddress, "127.0.0.1"),
                    new GeneralName(GeneralName.dNSName, "localhost")
                  }))
              .addExtension(
                  Extension.authorityKeyIdentifier, false,
                  ext.createAuthorityKeyIdentifier(caCert));
      X509Certificate serverCert = sign(serverBuilder, caKeys);

      write(CA_KEY, pem("PRIVATE KEY", caKeys.getPrivate().getEncoded()), true);
      write(SERVER_KEY, pem("PRIVATE KEY", serverKeys.getPrivate().getEncoded()), true);
      String caPem = pem("CERTIFICATE", caCert.getEncoded());
      write(SERVER, pem("CERTIFICATE", serverCert.getEncoded()) + caPem, false);
      write(CA, caPem, false); // last: its presence with the others marks a complete folder
    } catch (GeneralSecurityException | OperatorCreationException e) {
      throw new IOException("cannot make the edge CA: " + e.getMessage(), e);
    }
  }

  private static KeyPair ecKeyPair() throws GeneralSecurityException {
    KeyPairGenerator gen = KeyPairGenerator.getInstance("EC");
    gen.initialize(new ECGenParameterSpec("secp256r1"));
    return gen.generateKeyPair();
  }

  private static BigInteger serial() {
    return new BigInteger(127, new SecureRandom()).add(BigInteger.ONE);
  }

  private static X509Certificate sign(X509v3CertificateBuilder builder, KeyPair issuer)
      throws OperatorCreationException, GeneralSecurityException {
    return new JcaX509CertificateConverter()
        .getCertificate(
            builder.build(new JcaContentSignerBuilder("SHA256withECDSA").build(issuer.getPrivate())));
  }

  private static String pem(String type, byte[] der) {
    return "-----BEGIN " + type + "-----\n"
        + Base64.getMimeEncoder(64, new byte[] {'\n'}).encodeToString(der)
        + "\n-----END " + type + "-----\n";
  }

  private void write(String name, String content, boolean secret) throws IOException {
    Path tmp = Files.createTempFile(dir, name, ".tmp");
    try {
      // keys for this user only; certificates readable by a module running as another user
      Files.setPosixFilePermissions(tmp, PosixFilePermissions.fromString(secret ? "rw-------" : "rw-r--r--"));
    } catch (UnsupportedOperationException ignored) {
      // not a POSIX file system: the folder's own permissions protect the key
    }
    Files.writeString(tmp, content, StandardCharsets.US_ASCII);
    Files.move(tmp, dir.resolve(name), StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
  }
}
