import java.io.InputStream;
import java.net.HttpURLConnection;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyStore;
import java.security.cert.Certificate;
import java.security.cert.CertificateFactory;
import javax.net.ssl.HttpsURLConnection;
import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManagerFactory;

/**
 * The image's HEALTHCHECK: GET /healthz on the registry's own port, exit 0 on 200 and 1 otherwise.
 * Plain Java so the runtime image needs nothing but its JRE (no curl, no shell). It reads the
 * variables the registry itself reads: REGISTRY_LISTEN for the port (a wildcard host is asked on
 * loopback), and REGISTRY_TLS_CERTIFICATE: when set, the registry serves HTTPS, and this check
 * trusts exactly that certificate (its own server's; the host name is then no further proof).
 * TLS set in a configuration file instead is not seen here: override the HEALTHCHECK then.
 */
public final class HealthCheck {
  public static void main(String[] args) {
    String listen = System.getenv().getOrDefault("REGISTRY_LISTEN", "0.0.0.0:8080");
    String certificate = System.getenv("REGISTRY_TLS_CERTIFICATE");
    boolean tls = certificate != null && !certificate.isBlank();
    int colon = listen.lastIndexOf(':');
    String host = listen.substring(0, colon);
    if (host.isEmpty() || host.equals("0.0.0.0") || host.equals("[::]") || host.equals("::")) {
      host = "127.0.0.1";
    }
    String url = (tls ? "https://" : "http://") + host + ":" + listen.substring(colon + 1) + "/healthz";
    try {
      HttpURLConnection c = (HttpURLConnection) URI.create(url).toURL().openConnection();
      if (tls) {
        HttpsURLConnection https = (HttpsURLConnection) c;
        https.setSSLSocketFactory(trusting(Path.of(certificate)).getSocketFactory());
        https.setHostnameVerifier((name, session) -> true);
      }
      c.setConnectTimeout(3000);
      c.setReadTimeout(3000);
      int status = c.getResponseCode();
      System.out.println("GET " + url + ": " + status);
      System.exit(status == 200 ? 0 : 1);
    } catch (Exception e) {
      System.out.println("GET " + url + " failed: " + e);
      System.exit(1);
    }
  }

  /** TLS that trusts the certificate(s) in this PEM file and nothing else. */
  private static SSLContext trusting(Path pem) throws Exception {
    KeyStore trusted = KeyStore.getInstance(KeyStore.getDefaultType());
    trusted.load(null, null);
    try (InputStream in = Files.newInputStream(pem)) {
      int i = 0;
      for (Certificate cert : CertificateFactory.getInstance("X.509").generateCertificates(in)) {
        trusted.setCertificateEntry("registry-" + i++, cert);
      }
    }
    TrustManagerFactory tmf = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
    tmf.init(trusted);
    SSLContext context = SSLContext.getInstance("TLS");
    context.init(null, tmf.getTrustManagers(), null);
    return context;
  }
}
