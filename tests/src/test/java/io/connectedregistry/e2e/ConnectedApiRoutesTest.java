package io.connectedregistry.e2e;

import static io.connectedregistry.e2e.support.AuthSupport.createToken;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assumptions.assumeFalse;

import io.connectedregistry.e2e.support.AuthSupport;
import io.connectedregistry.e2e.support.AuthSupport.Credentials;
import io.connectedregistry.e2e.support.RegistryClient;
import io.connectedregistry.e2e.support.RegistryProcess;
import io.connectedregistry.e2e.support.Response;
import java.net.http.HttpRequest.BodyPublishers;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Every route under {@code /_connected/v1}, called by nobody, by a token without rights there and
 * by an admin token: the status each gets. Calls that would change something name a token or
 * scope map that does not exist, so a route that lost its check answers 404 (not 403) and
 * changes nothing. A root registry (no parent): POST sync is 405 UNSUPPORTED for an operator.
 */
class ConnectedApiRoutesTest {

  private static final String V1 = "/_connected/v1";
  private static final String ADMIN = V1 + "/admin";

  /** method, path, body (null: none), and the status for: nobody, a plain token, an admin token. */
  private record Call(String method, String path, String body, int anonymous, int plain, int admin) {}

  private static final List<Call> CALLS = List.of(
      new Call("GET", V1 + "/changes", null, 401, 200, 200),
      new Call("GET", V1 + "/status", null, 401, 200, 200),
      new Call("POST", V1 + "/sync", null, 401, 403, 405),
      new Call("GET", ADMIN + "/tokens", null, 401, 403, 200),
      new Call("POST", ADMIN + "/tokens", "{}", 401, 403, 400),
      new Call("GET", ADMIN + "/tokens/nobody", null, 401, 403, 404),
      new Call("PATCH", ADMIN + "/tokens/nobody", "{\"status\":\"disabled\"}", 401, 403, 404),
      new Call("DELETE", ADMIN + "/tokens/nobody", null, 401, 403, 404),
      new Call("POST", ADMIN + "/tokens/nobody/passwords/1", "{}", 401, 403, 404),
      new Call("DELETE", ADMIN + "/tokens/nobody/passwords/1", null, 401, 403, 404),
      new Call("GET", ADMIN + "/scope-maps", null, 401, 403, 200),
      new Call("POST", ADMIN + "/scope-maps", "{}", 401, 403, 400),
      new Call("GET", ADMIN + "/scope-maps/nobody", null, 401, 403, 404),
      new Call("PATCH", ADMIN + "/scope-maps/nobody", "{\"description\":\"x\"}", 401, 403, 404),
      new Call("DELETE", ADMIN + "/scope-maps/nobody", null, 401, 403, 404),
      new Call("PUT", ADMIN + "/tokens", "{}", 401, 403, 404),
      // Not an archive: refused whole (400), so a route that lost its check would show it.
      new Call("POST", ADMIN + "/bundles", "{}", 401, 403, 400),
      new Call("GET", ADMIN + "/no-such-thing", null, 401, 403, 404),
      new Call("GET", ADMIN, null, 401, 403, 404));

  private static RegistryProcess registry;
  private static RegistryClient client;
  private static Credentials admin;
  private static Credentials plain;

  @BeforeAll
  static void startRegistry() {
    assumeFalse(RegistryProcess.isReferenceDistribution(), "the /_connected/v1 API is this registry's own");
    registry = AuthSupport.prepareWithConfig("connected-routes", "auth:\n"
        + "  anonymousPull: false\n"
        + "  adminTokens: [route-admin]\n");
    admin = createToken(registry, "route-admin", "--repository", "*", "content/read", "metadata/read");
    plain = createToken(registry, "route-plain", "--repository", "app/*", "content/read");
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
  void everyRouteAnswersEachKindOfCallerAsDocumented() {
    List<String> wrong = new ArrayList<>();
    for (Call call : CALLS) {
      check(wrong, call, "nobody", call.anonymous(), new String[0]);
      check(wrong, call, "a plain token", call.plain(), plain.header());
      check(wrong, call, "an admin token", call.admin(), admin.header());
    }
    assertEquals(List.of(), wrong);
    // Nothing a refused call named was created, and the two tokens are still there.
    Response tokens = client.get(ADMIN + "/tokens", admin.header());
    assertEquals(2, tokens.json().size(), tokens::describe);
  }

  private static void check(List<String> wrong, Call call, String who, int expected, String[] auth) {
    Response r = call.body() == null
        ? client.send(call.method(), call.path(), BodyPublishers.noBody(), auth)
        : client.send(call.method(), call.path(),
            BodyPublishers.ofString(call.body(), StandardCharsets.UTF_8),
            AuthSupport.concat(auth, "Content-Type", "application/json"));
    if (r.status() != expected) {
      wrong.add(call.method() + " " + call.path() + " by " + who + ": " + r.status() + " (expected "
          + expected + ") " + r.text());
    }
  }
}
