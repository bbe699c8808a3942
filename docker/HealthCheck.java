import java.net.HttpURLConnection;
import java.net.URI;

/**
 * The image's HEALTHCHECK: GET /healthz on the registry's own port, exit 0 on 200 and 1 otherwise.
 * Plain Java so the runtime image needs nothing but its JRE (no curl, no shell). The port comes
 * from REGISTRY_LISTEN, the variable the registry itself listens by; a wildcard host is asked on
 * loopback. Plain HTTP: with TLS on the registry's own port, replace the HEALTHCHECK.
 */
public final class HealthCheck {
  public static void main(String[] args) {
    String listen = System.getenv().getOrDefault("REGISTRY_LISTEN", "0.0.0.0:8080");
    int colon = listen.lastIndexOf(':');
    String host = listen.substring(0, colon);
    if (host.isEmpty() || host.equals("0.0.0.0") || host.equals("[::]") || host.equals("::")) {
      host = "127.0.0.1";
    }
    try {
      HttpURLConnection c = (HttpURLConnection)
          URI.create("http://" + host + ":" + listen.substring(colon + 1) + "/healthz").toURL().openConnection();
      c.setConnectTimeout(3000);
      c.setReadTimeout(3000);
      int status = c.getResponseCode();
      System.out.println("GET /healthz: " + status);
      System.exit(status == 200 ? 0 : 1);
    } catch (Exception e) {
      System.out.println("GET /healthz failed: " + e);
      System.exit(1);
    }
  }
}
