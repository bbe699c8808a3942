package io.connectedregistry.e2e;

import static io.connectedregistry.e2e.support.AuthSupport.createToken;
import static io.connectedregistry.e2e.support.AuthSupport.pushBlob;
import static io.connectedregistry.e2e.support.Expect.error;
import static io.connectedregistry.e2e.support.Expect.status;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeFalse;

import io.connectedregistry.e2e.support.AuthSupport;
import io.connectedregistry.e2e.support.AuthSupport.Credentials;
import io.connectedregistry.e2e.support.Digests;
import io.connectedregistry.e2e.support.RegistryClient;
import io.connectedregistry.e2e.support.RegistryProcess;
import io.connectedregistry.e2e.support.Response;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * {@code auth.failedLoginsPerMinute: 3}: the fourth failed login from one address within a minute
 * is answered 429 TOOMANYREQUESTS with Retry-After, on the registry API and the token endpoint
 * alike, and uncached credentials are then refused without being checked; a client whose correct
 * credentials were verified before keeps working.
 */
class LoginThrottleTest {

  private static final int LIMIT = 3;
  private static RegistryProcess registry;
  private static RegistryClient client;

  @BeforeAll
  static void startRegistry() {
    assumeFalse(RegistryProcess.isReferenceDistribution(), "token auth is this registry's own");
    registry = AuthSupport.prepareWithConfig("login-throttle",
        "auth:\n  anonymousPull: false\n  failedLoginsPerMinute: " + LIMIT + "\n");
    registry.start();
    client = new RegistryClient(registry);
  }

  @AfterAll
  static void stopRegistry() {
    if (registry != null) {
      registry.close();
    }
  }

  @Test
  void moreFailedLoginsThanTheLimitAreAnswered429WhileAKnownClientKeepsWorking() {
    Credentials good = createToken(registry, "good-client", "--repository", "app/*", "content/read",
        "content/write");
    Credentials fresh = createToken(registry, "fresh-client", "--repository", "app/*", "content/read");
    byte[] data = "throttle".getBytes(StandardCharsets.UTF_8);
    String digest = Digests.sha256(data);
    String path = "/v2/app/x/blobs/" + digest;

    // The registry polls auth.db every second and drops its cached logins when the CLI changed it:
    // let it see the CLI's last write before the good client's login is cached.
    AuthSupport.awaitAuthChangesSeen();
    // The good client logs in (its credentials are verified and cached).
    pushBlob(client, good.header(), "app/x", data);
    assertArrayEquals(data, status(client.get(path, good.header()), 200).body());

    Credentials guess = good.withPassword("not-the-password");
    for (int i = 1; i <= LIMIT; i++) {
      Response r = client.get(path, guess.header());
      int attempt = i;
      error(r, 401, "UNAUTHORIZED");
      assertTrue(r.header("Retry-After").isEmpty(), () -> "failure " + attempt + " is not throttled yet: " + r);
    }
    Response throttled = error(client.get(path, guess.header()), 429, "TOOMANYREQUESTS");
    assertRetryAfter(throttled);

    // The client that logged in before is not slowed down.
    for (int i = 0; i < 3; i++) {
      assertArrayEquals(data, status(client.get(path, good.header()), 200).body());
    }
    status(client.post("/v2/app/x/blobs/uploads/", new byte[0], good.header()), 202);

    // Credentials not verified before are refused unchecked, even correct ones: a guesser cannot
    // tell a right password from a wrong one while throttled.
    assertRetryAfter(error(client.get(path, fresh.header()), 429, "TOOMANYREQUESTS"));

    // The token endpoint, GET and POST, counts the same budget.
    String scope = RegistryClient.encode("repository:app/x:pull");
    assertRetryAfter(error(client.get("/oauth2/token?service=x&scope=" + scope, guess.header()), 429,
        "TOOMANYREQUESTS"));
    assertRetryAfter(error(client.get("/oauth2/token?service=x&scope=" + scope, fresh.header()), 429,
        "TOOMANYREQUESTS"));
    Response form = client.post("/oauth2/token", ("grant_type=password&username=" + fresh.name() + "&password="
        + RegistryClient.encode(fresh.password()) + "&service=x").getBytes(StandardCharsets.UTF_8),
        "Content-Type", "application/x-www-form-urlencoded");
    assertRetryAfter(error(form, 429, "TOOMANYREQUESTS"));

    // Still fine for the known client.
    assertArrayEquals(data, status(client.get(path, good.header()), 200).body());
  }

  private static void assertRetryAfter(Response r) {
    String retry = r.headerOrNull("Retry-After");
    assertNotNull(retry, () -> "429 needs Retry-After: " + r);
    long seconds = Long.parseLong(retry.trim());
    assertTrue(seconds > 0 && seconds <= 60, () -> "Retry-After should be within the minute: " + r);
  }
}
