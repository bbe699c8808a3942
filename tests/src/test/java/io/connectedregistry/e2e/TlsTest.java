package io.connectedregistry.e2e;

import static io.connectedregistry.e2e.support.ImageTools.layoutDigest;
import static io.connectedregistry.e2e.support.ImageTools.makeImage;
import static io.connectedregistry.e2e.support.ImageTools.skopeo;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeFalse;

import io.connectedregistry.e2e.support.Command;
import io.connectedregistry.e2e.support.RegistryProcess;
import io.connectedregistry.e2e.support.Workspace;
import java.io.IOException;
import java.io.InputStream;
import java.math.BigInteger;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.security.KeyStore;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLSocket;
import javax.net.ssl.TrustManagerFactory;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * HTTPS from PEM files made here with openssl (a CA, server certificates for 127.0.0.1, a client
 * certificate): served to Java's HttpClient and to skopeo with verification on, reloaded when the
 * files change, and client certificates required when {@code tls.clientCa} is set.
 */
class TlsTest {

  private static final char[] PASSWORD = "changeit".toCharArray();
  private static Path pki;
  private static SSLContext trustingCa;

  private RegistryProcess registry;

  @BeforeAll
  static void makeCertificates() throws Exception {
    assumeFalse(RegistryProcess.isReferenceDistribution(), "TLS is configured differently there");
    pki = Workspace.dir("tls-pki");
    openssl("req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes",
        "-keyout", "ca.key", "-out", "ca.crt", "-days", "2", "-subj", "/CN=e2e test CA",
        "-addext", "basicConstraints=critical,CA:TRUE",
        "-addext", "keyUsage=critical,keyCertSign,cRLSign");
    Files.writeString(pki.resolve("server.ext"), "subjectAltName=IP:127.0.0.1\n"
        + "keyUsage=critical,digitalSignature\nextendedKeyUsage=serverAuth\n");
    Files.writeString(pki.resolve("client.ext"),
        "keyUsage=critical,digitalSignature\nextendedKeyUsage=clientAuth\n");
    signed("server1", "/CN=127.0.0.1/O=first", "1001", "server.ext");
    signed("server2", "/CN=127.0.0.1/O=renewed", "1002", "server.ext");
    signed("client", "/CN=e2e client", "2001", "client.ext");
    openssl("pkcs12", "-export", "-in", "client.crt", "-inkey", "client.key", "-out", "client.p12",
        "-passout", "pass:changeit");
    Files.createDirectories(pki.resolve("certs.d"));
    Files.copy(pki.resolve("ca.crt"), pki.resolve("certs.d/ca.crt"));
    trustingCa = sslContext(false);
  }

  @AfterEach
  void stopRegistry() {
    if (registry != null) {
      registry.close();
    }
  }

  @Test
  void https_answers_with_the_configured_certificate_and_plain_http_does_not() throws Exception {
    registry = startWithTls("tls-basic", false);

    HttpResponse<String> response = get(trustingCa, registry.baseUri().resolve("/v2/"));
    assertEquals(200, response.statusCode());
    assertEquals(BigInteger.valueOf(1001), peerSerial(response));

    URI plain = URI.create("http://" + registry.hostPort() + "/v2/");
    assertThrows(IOException.class, () -> get(null, plain));
  }

  @Test
  void skopeo_pushes_and_pulls_with_verification_on() throws Exception {
    registry = startWithTls("tls-skopeo", false);
    Path work = Workspace.dir("tls-skopeo-images");
    Path src = work.resolve("src");
    Path back = work.resolve("back");
    String digest = makeImage(src, "v1", "-l", "4K", "-l", "64K", "-s", "7");
    String certDir = pki.resolve("certs.d").toString();
    String ref = "docker://" + registry.hostPort() + "/tls/img:v1";

    skopeo("copy", "--dest-cert-dir", certDir, "oci:" + src + ":v1", ref).assertOk();
    skopeo("copy", "--src-cert-dir", certDir, ref, "oci:" + back + ":v1").assertOk();

    assertEquals(digest, layoutDigest(back, "v1"));
  }

  @Test
  void new_certificate_files_are_served_without_a_restart_and_bad_ones_are_not() throws Exception {
    registry = startWithTls("tls-reload", false);
    Path live = registry.workDir();

    assertEquals(BigInteger.valueOf(1001), handshakeSerial());

    Files.copy(pki.resolve("server2.key"), live.resolve("server.key"), StandardCopyOption.REPLACE_EXISTING);
    Files.copy(pki.resolve("server2.crt"), live.resolve("server.crt"), StandardCopyOption.REPLACE_EXISTING);
    awaitTrue(() -> BigInteger.valueOf(1002).equals(handshakeSerial()), "the renewed certificate");
    awaitTrue(() -> registry.log().contains("TLS certificate reloaded"), "the INFO line on reload");

    // A key that does not load: warned about, and the renewed certificate stays in service.
    Files.writeString(live.resolve("server.key"), "-----BEGIN PRIVATE KEY-----\nbm90IGEga2V5\n"
        + "-----END PRIVATE KEY-----\n");
    awaitTrue(() -> registry.log().contains("still serving the previous certificate"), "the WARN line");
    assertTrue(!registry.log().contains("bm90IGEga2V5"), "key material must not be logged");
    assertEquals(BigInteger.valueOf(1002), handshakeSerial());
    assertEquals(200, get(trustingCa, registry.baseUri().resolve("/v2/")).statusCode());
  }

  @Test
  void with_a_client_ca_a_client_certificate_is_required() throws Exception {
    SSLContext withClientCertificate = sslContext(true);
    registry = startWithTls("tls-client-ca", true, withClientCertificate);
    URI v2 = registry.baseUri().resolve("/v2/");

    assertEquals(200, get(withClientCertificate, v2).statusCode());
    assertThrows(IOException.class, () -> get(trustingCa, v2));
  }

  // ------------------------------------------------------------------------------------------

  private static RegistryProcess startWithTls(String name, boolean clientCa) throws IOException {
    return startWithTls(name, clientCa, trustingCa);
  }

  /** The server files are copied into the registry's own folder, so a test can overwrite them. */
  private static RegistryProcess startWithTls(String name, boolean clientCa, SSLContext harness)
      throws IOException {
    RegistryProcess r = RegistryProcess.prepare(name);
    Path dir = r.workDir();
    Files.copy(pki.resolve("server1.crt"), dir.resolve("server.crt"), StandardCopyOption.REPLACE_EXISTING);
    Files.copy(pki.resolve("server1.key"), dir.resolve("server.key"), StandardCopyOption.REPLACE_EXISTING);
    String yaml = "tls:\n  certificate: " + dir.resolve("server.crt") + "\n  key: " + dir.resolve("server.key")
        + "\n" + (clientCa ? "  clientCa: " + pki.resolve("ca.crt") + "\n" : "");
    Path config = Files.writeString(dir.resolve("registry.yaml"), yaml);
    return r.withArgs("--config", config.toString())
        .withJvmArgs("-Dregistry.tls.reloadIntervalMillis=200")
        .withTls(harness)
        .start();
  }

  /** {@code openssl ARGS} in the pki folder. */
  private static void openssl(String... args) {
    List<String> cmd = new ArrayList<>(List.of("sh", "-c", "cd \"$0\" && exec openssl \"$@\"", pki.toString()));
    cmd.addAll(List.of(args));
    Command.run(cmd).assertOk();
  }

  private static void signed(String name, String subject, String serial, String extensions) {
    openssl("req", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes",
        "-keyout", name + ".key", "-out", name + ".csr", "-subj", subject);
    openssl("x509", "-req", "-in", name + ".csr", "-CA", "ca.crt", "-CAkey", "ca.key",
        "-set_serial", serial, "-days", "2", "-out", name + ".crt", "-extfile", extensions);
  }

  private static SSLContext sslContext(boolean withClientCertificate) throws Exception {
    KeyStore trust = KeyStore.getInstance(KeyStore.getDefaultType());
    trust.load(null, null);
    try (InputStream in = Files.newInputStream(pki.resolve("ca.crt"))) {
      trust.setCertificateEntry("ca", CertificateFactory.getInstance("X.509").generateCertificate(in));
    }
    TrustManagerFactory tmf = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
    tmf.init(trust);
    KeyManagerFactory kmf = null;
    if (withClientCertificate) {
      KeyStore keys = KeyStore.getInstance("PKCS12");
      try (InputStream in = Files.newInputStream(pki.resolve("client.p12"))) {
        keys.load(in, PASSWORD);
      }
      kmf = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
      kmf.init(keys, PASSWORD);
    }
    SSLContext context = SSLContext.getInstance("TLS");
    context.init(kmf == null ? null : kmf.getKeyManagers(), tmf.getTrustManagers(), null);
    return context;
  }

  /** A GET on a new client (so a new connection and handshake); null context = plain HTTP. */
  private static HttpResponse<String> get(SSLContext context, URI uri) throws Exception {
    HttpClient.Builder builder = HttpClient.newBuilder()
        .version(HttpClient.Version.HTTP_1_1)
        .connectTimeout(Duration.ofSeconds(5));
    if (context != null) {
      builder.sslContext(context);
    }
    return builder.build().send(
        HttpRequest.newBuilder(uri).timeout(Duration.ofSeconds(5)).GET().build(),
        HttpResponse.BodyHandlers.ofString());
  }

  private static BigInteger peerSerial(HttpResponse<?> response) throws Exception {
    return ((X509Certificate) response.sslSession().orElseThrow().getPeerCertificates()[0])
        .getSerialNumber();
  }

  /** The serial of the certificate a new TLS connection is shown. */
  private BigInteger handshakeSerial() throws Exception {
    try (SSLSocket socket =
        (SSLSocket) trustingCa.getSocketFactory().createSocket("127.0.0.1", registry.port())) {
      socket.setSoTimeout(5000);
      socket.startHandshake();
      return ((X509Certificate) socket.getSession().getPeerCertificates()[0]).getSerialNumber();
    }
  }

  private interface Check {
    boolean ok() throws Exception;
  }

  private static void awaitTrue(Check check, String what) throws Exception {
    Instant deadline = Instant.now().plusSeconds(10);
    while (Instant.now().isBefore(deadline)) {
      if (check.ok()) {
        return;
      }
      Thread.sleep(100);
    }
    throw new AssertionError("timed out waiting for " + what);
  }
}
