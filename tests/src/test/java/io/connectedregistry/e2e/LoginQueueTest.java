package io.connectedregistry.e2e;

import static io.connectedregistry.e2e.support.AuthSupport.createToken;
import static io.connectedregistry.e2e.support.Expect.status;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeFalse;

import io.connectedregistry.e2e.support.AuthSupport;
import io.connectedregistry.e2e.support.AuthSupport.Credentials;
import io.connectedregistry.e2e.support.RegistryClient;
import io.connectedregistry.e2e.support.RegistryProcess;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Password checks (PBKDF2, slow on purpose) run on a small pool; the logins waiting for it are
 * bounded, and one more is answered 429 with {@code Retry-After} at once instead of queueing for
 * ever. The failed-login throttle is set out of the way here so only the queue can refuse.
 */
class LoginQueueTest {

  private static final int BURST = 64;
  private static RegistryProcess registry;
  private static RegistryClient client;
  private static Credentials good;

  @BeforeAll
  static void startRegistry() {
    assumeFalse(RegistryProcess.isReferenceDistribution(), "token auth is this registry's own");
    registry = AuthSupport.prepareWithConfig("login-queue",
        "auth:\n  anonymousPull: false\n  failedLoginsPerMinute: 10000\n");
    good = createToken(registry, "queue-client", "--repository", "app/*", "content/read");
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
  void aBurstOfNewLoginsBeyondTheQueueIsAnswered429AtOnce() throws Exception {
    List<CompletableFuture<HttpResponse<String>>> answers = new ArrayList<>();
    for (int i = 0; i < BURST; i++) {
      // Each a password never seen, so each needs a PBKDF2 run.
      HttpRequest request = HttpRequest.newBuilder(client.uri("/v2/"))
          .timeout(Duration.ofSeconds(120))
          .header("Authorization", good.withPassword("wrong-" + i).basic())
          .GET().build();
      answers.add(client.http().sendAsync(request, HttpResponse.BodyHandlers.ofString()));
    }
    CompletableFuture.allOf(answers.toArray(CompletableFuture[]::new)).get(180, TimeUnit.SECONDS);

    Map<Integer, Integer> byStatus = new TreeMap<>();
    for (CompletableFuture<HttpResponse<String>> f : answers) {
      HttpResponse<String> r = f.get();
      byStatus.merge(r.statusCode(), 1, Integer::sum);
      if (r.statusCode() == 429) {
        assertTrue(r.body().contains("TOOMANYREQUESTS"), r::body);
        assertTrue(r.headers().firstValue("Retry-After").isPresent(), () -> "429 needs Retry-After: " + r);
      }
    }
    String seen = "answers by status: " + byStatus;
    assertEquals(BURST, byStatus.getOrDefault(401, 0) + byStatus.getOrDefault(429, 0), seen);
    assertTrue(byStatus.getOrDefault(429, 0) > 0, "logins beyond the queue are refused at once; " + seen);
    assertTrue(byStatus.getOrDefault(401, 0) > 0, "the queue's logins were checked; " + seen);

    // Once the burst is over, a client with the right password logs in.
    status(client.get("/v2/", good.header()), 200);
  }
}
