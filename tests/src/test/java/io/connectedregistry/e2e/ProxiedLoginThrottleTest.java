package io.connectedregistry.e2e;

import static io.connectedregistry.e2e.support.AuthSupport.concat;
import static io.connectedregistry.e2e.support.AuthSupport.createToken;
import static io.connectedregistry.e2e.support.Expect.error;
import static io.connectedregistry.e2e.support.Expect.status;
import static org.junit.jupiter.api.Assumptions.assumeFalse;

import io.connectedregistry.e2e.support.AuthSupport;
import io.connectedregistry.e2e.support.AuthSupport.Credentials;
import io.connectedregistry.e2e.support.RegistryClient;
import io.connectedregistry.e2e.support.RegistryProcess;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Failed-login throttling behind a reverse proxy (the IoT Edge API proxy): every request comes
 * from the proxy's address (here 127.0.0.1, the test playing the proxy) with the client's address
 * in {@code X-Forwarded-For}. With the proxy in {@code http.trustedProxies} the throttle keys on
 * the right-most address the proxy did not add itself, so one bad client behind the proxy does
 * not lock out the others; without it the header is ignored, so rotating it buys nothing. Failed
 * logins from all addresses together spend a global budget of ten times the per-address one.
 */
class ProxiedLoginThrottleTest {

  private static final String PING = "/v2/";
  private final List<RegistryProcess> started = new ArrayList<>();

  @BeforeAll
  static void notForDistribution() {
    assumeFalse(RegistryProcess.isReferenceDistribution(), "token auth is this registry's own");
  }

  @AfterEach
  void stopRegistries() {
    started.forEach(RegistryProcess::close);
  }

  private record Registry(RegistryProcess process, RegistryClient client, Credentials good, Credentials other) {}

  /** A registry with the given {@code http.trustedProxies} and two tokens made before it starts. */
  private Registry registry(String name, String trustedProxies, int failedLoginsPerMinute) {
    RegistryProcess r = AuthSupport.prepareWithConfig(name, "http:\n  trustedProxies: " + trustedProxies + "\n"
        + "auth:\n  anonymousPull: false\n  failedLoginsPerMinute: " + failedLoginsPerMinute + "\n");
    Credentials good = createToken(r, "good-client", "--repository", "app/*", "content/read");
    Credentials other = createToken(r, "other-client", "--repository", "app/*", "content/read");
    started.add(r);
    r.start();
    return new Registry(r, new RegistryClient(r), good, other);
  }

  private static String[] via(String forwardedFor, String[] authorization) {
    return concat(authorization, "X-Forwarded-For", forwardedFor);
  }

  @Test
  void behindATrustedProxyABadClientIsThrottledWhileAGoodClientStillLogsIn() {
    Registry reg = registry("proxy-trusted", "[\"127.0.0.1\"]", 3);
    RegistryClient c = reg.client();
    String[] guess = reg.good().withPassword("not-the-password").header();
    for (int i = 0; i < 3; i++) {
      error(c.get(PING, via("203.0.113.10", guess)), 401, "UNAUTHORIZED");
    }
    error(c.get(PING, via("203.0.113.10", guess)), 429, "TOOMANYREQUESTS");
    // Addresses the client writes itself (left of the proxy's) change nothing.
    error(c.get(PING, via("198.51.100.77, 203.0.113.10", guess)), 429, "TOOMANYREQUESTS");
    error(c.get("/oauth2/token?service=x", via("203.0.113.10", guess)), 429, "TOOMANYREQUESTS");

    // Another client behind the same proxy logs in for the first time (nothing cached).
    status(c.get(PING, via("203.0.113.20", reg.good().header())), 200);
    status(c.get("/oauth2/token?service=x", via("198.51.100.77, 203.0.113.21", reg.other().header())), 200);
  }

  @Test
  void anUntrustedPeersForwardedForIsIgnored() {
    Registry reg = registry("proxy-untrusted", "[\"10.0.0.0/8\"]", 3);
    RegistryClient c = reg.client();
    String[] guess = reg.good().withPassword("not-the-password").header();
    for (int i = 0; i < 3; i++) {
      error(c.get(PING, via("203.0.113." + (10 + i), guess)), 401, "UNAUTHORIZED");
    }
    // 127.0.0.1 is not a trusted proxy: the header is the client's own word, so the peer is throttled.
    error(c.get(PING, via("203.0.113.99", guess)), 429, "TOOMANYREQUESTS");
    error(c.get(PING, via("203.0.113.20", reg.other().header())), 429, "TOOMANYREQUESTS");
  }

  @Test
  void failedLoginsFromManyClientsSpendAGlobalBudget() {
    // 2 per client and minute, so 20 per minute in all.
    Registry reg = registry("proxy-global", "[\"127.0.0.0/8\"]", 2);
    RegistryClient c = reg.client();
    status(c.get(PING, via("203.0.113.200", reg.good().header())), 200);
    String[] guess = reg.other().withPassword("not-the-password").header();
    for (int client = 1; client <= 10; client++) {
      for (int i = 0; i < 2; i++) {
        error(c.get(PING, via("203.0.113." + client, guess)), 401, "UNAUTHORIZED");
      }
    }
    // Twenty failures spent: a new address is refused unchecked, whatever it sends.
    error(c.get(PING, via("203.0.113.11", guess)), 429, "TOOMANYREQUESTS");
    error(c.get(PING, via("203.0.113.12", reg.other().header())), 429, "TOOMANYREQUESTS");
    // A client whose login was verified before keeps working.
    status(c.get(PING, via("203.0.113.200", reg.good().header())), 200);
  }
}
