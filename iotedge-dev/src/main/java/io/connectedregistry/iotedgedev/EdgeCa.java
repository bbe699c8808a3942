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
import java.security.PrivateKey;
import java.security.cert.CertificateFactory;
import java.security.SecureRandom;
import java.security.cert.X509Certificate;
import java.security.spec.ECGenParameterSpec;
import java.time.Duration;
import java.time.Instant;
import java.util.Base64;
import java.util.Date;
import org.bouncycastle.asn1.pkcs.PrivateKeyInfo;
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
import org.bouncycastle.openssl.PEMKeyPair;
import org.bouncycastle.openssl.PEMParser;
import org.bouncycastle.openssl.jcajce.JcaPEMKeyConverter;
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
 * run made, so a module that kept the CA still trusts the stand-in); one with only the CA gets a
 * server certificate from it. Keys are EC P-256 from the
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

  /**
   * The CA in this folder. With all four files, they are used as they are; with only the CA
   * (ca.pem and ca-key.pem: your own, or one a previous run made) a server certificate is issued
   * from it; with none, a CA is made too. Anything else is refused rather than overwritten.
   */
  static EdgeCa inFolder(Path dir) throws IOException {
    Files.createDirectories(dir);
    EdgeCa ca = new EdgeCa(dir);
    boolean caPresent = Files.isRegularFile(ca.caCert());
    boolean caKeyPresent = Files.isRegularFile(dir.resolve(CA_KEY));
    boolean serverPresent = Files.isRegularFile(ca.serverCertChain());
    boolean serverKeyPresent = Files.isRegularFile(ca.serverKey());
    if (caPresent && caKeyPresent && serverPresent && serverKeyPresent) {
      return ca;
    }
    if (caPresent != caKeyPresent || serverPresent || serverKeyPresent) {
      throw new IOException("incomplete certificate folder " + dir + ": give " + CA + " and " + CA_KEY
          + " (a server certificate is issued from them), all four of " + CA + ", " + CA_KEY + ", " + SERVER
          + ", " + SERVER_KEY + ", or none (a CA is made)");
    }
    try {
      if (!caPresent) {
        ca.makeCa();
      }
      ca.issueServerCertificate();
    } catch (GeneralSecurityException | OperatorCreationException e) {
      throw new IOException("cannot make the edge certificates in " + dir + ": " + e.getMessage(), e);
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

  private void makeCa() throws IOException, GeneralSecurityException, OperatorCreationException {
    Instant now = Instant.now();
    KeyPair caKeys = ecKeyPair();
    X500Name caName = new X500Name("CN=iotedge-dev edge CA");
    X509v3CertificateBuilder caBuilder =
        new JcaX509v3CertificateBuilder(
                caName, serial(), Date.from(now.minus(Duration.ofHours(1))),
                Date.from(now.plus(VALIDITY)), caName, caKeys.getPublic())
            .addExtension(Extension.basicConstraints, true, new BasicConstraints(0))
            .addExtension(
                Extension.keyUsage, true, new KeyUsage(KeyUsage.keyCertSign | KeyUsage.cRLSign))
            .addExtension(
                Extension.subjectKeyIdentifier, false,
                new JcaX509ExtensionUtils().createSubjectKeyIdentifier(caKeys.getPublic()));
    X509Certificate caCert = sign(caBuilder, caKeys.getPrivate());
    write(CA_KEY, pem("PRIVATE KEY", caKeys.getPrivate().getEncoded()), true);
    write(CA, pem("CERTIFICATE", caCert.getEncoded()), false);
  }

  /** A server certificate for 127.0.0.1 and localhost, signed by the folder's CA. */
  private void issueServerCertificate() throws IOException, GeneralSecurityException, OperatorCreationException {
    X509Certificate caCert;
    try (var in = Files.newInputStream(caCert())) {
      caCert = (X509Certificate) CertificateFactory.getInstance("X.509").generateCertificate(in);
    }
    PrivateKey caKey = readPrivateKey(dir.resolve(CA_KEY));
    Instant now = Instant.now();
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
                new JcaX509ExtensionUtils().createAuthorityKeyIdentifier(caCert));
    X509Certificate serverCert = sign(serverBuilder, caKey);
    write(SERVER_KEY, pem("PRIVATE KEY", serverKeys.getPrivate().getEncoded()), true);
    write(SERVER, pem("CERTIFICATE", serverCert.getEncoded()) + pem("CERTIFICATE", caCert.getEncoded()), false);
  }

  /** A PEM private key: PKCS#8, or the traditional RSA / EC forms openssl writes. */
  private static PrivateKey readPrivateKey(Path file) throws IOException {
    try (PEMParser parser = new PEMParser(Files.newBufferedReader(file, StandardCharsets.US_ASCII))) {
      Object parsed = parser.readObject();
      JcaPEMKeyConverter converter = new JcaPEMKeyConverter();
      if (parsed instanceof PEMKeyPair pair) {
        return converter.getKeyPair(pair).getPrivate();
      }
      if (parsed instanceof PrivateKeyInfo info) {
        return converter.getPrivateKey(info);
      }
      throw new IOException(file + " holds no unencrypted private key");
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

  private static X509Certificate sign(X509v3CertificateBuilder builder, PrivateKey issuer)
      throws OperatorCreationException, GeneralSecurityException {
    String algorithm = issuer.getAlgorithm().equals("RSA") ? "SHA256withRSA" : "SHA256withECDSA";
    return new JcaX509CertificateConverter()
        .getCertificate(builder.build(new JcaContentSignerBuilder(algorithm).build(issuer)));
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
