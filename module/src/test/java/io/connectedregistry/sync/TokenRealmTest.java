package io.connectedregistry.sync;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.connectedregistry.config.RegistryConfig.ParentConfig;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The sync token's credentials go to a Bearer realm only on the parent's own host and port, or
 * over https to a host in {@code parent.tokenRealms}. The parent and the token services are
 * scripted servers on 127.0.0.1 (another port is another host:port); each records its requests,
 * so the tests see whether an Authorization header ever reached a realm.
 */
class TokenRealmTest {
  static final String TAGS = "/v2/team/app/tags/list";
  @TempDir static Path certs;
  static Path ca;

  ScriptedServer parent;
  ScriptedServer realm;
  Vertx vertx;

  @BeforeAll
  static void makeCertificates() throws Exception {
    ca = certs.resolve("ca.pem");
    Files.writeString(certs.resolve("san.ext"), "subjectAltName=IP:127.0.0.1\n");
    openssl("req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", "ca.key", "-out", "ca.pem",
        "-days", "2", "-subj", "/CN=token-realm-test-ca");
    openssl("req", "-newkey", "rsa:2048", "-nodes", "-keyout", "server.key", "-out", "server.csr",
        "-subj", "/CN=127.0.0.1");
    openssl("x509", "-req", "-in", "server.csr", "-CA", "ca.pem", "-CAkey", "ca.key", "-CAcreateserial",
        "-out", "server.pem", "-days", "2", "-extfile", "san.ext");
  }

  private static void openssl(String... args) throws Exception {
    List<String> cmd = new java.util.ArrayList<>(List.of("openssl"));
    cmd.addAll(List.of(args));
    Process p = new ProcessBuilder(cmd).directory(certs.toFile()).redirectErrorStream(true)
        .redirectOutput(certs.resolve("openssl.log").toFile()).start();
    assertTrue(p.waitFor(60, TimeUnit.SECONDS) && p.exitValue() == 0, Files.readString(certs.resolve("openssl.log")));
  }

  @BeforeEach
  void setUp() {
    parent = ScriptedServer.http();
    vertx = Vertx.vertx();
  }

  @AfterEach
  void tearDown() {
    Await.result(vertx.close());
    parent.close();
    if (realm != null) {
      realm.close();
    }
  }

  /** Tags for {@code Bearer tok}; the Bearer challenge naming {@code realmUrl} otherwise. */
  private void parentChallengingWith(String realmUrl) {
    parent.on(TAGS, request -> {
      if ("Bearer tok".equals(request.getHeader("Authorization"))) {
        request.response().putHeader("Content-Type", "application/json")
            .end("{\"name\":\"team/app\",\"tags\":[\"v1\"]}");
      } else {
        request.response().setStatusCode(401).putHeader("WWW-Authenticate",
            "Bearer realm=\"" + realmUrl + "\",service=\"test\",scope=\"repository:team/app:pull\"").end();
      }
    });
  }

  private ScriptedServer tokenService(ScriptedServer server) {
    server.on("/token", ScriptedServer.answer(200, Map.of("Content-Type", "application/json"),
        "{\"token\":\"tok\",\"expires_in\":300}"));
    return server;
  }

  private ParentCaller caller(List<String> tokenRealms, boolean credentials) {
    ParentConfig config = new ParentConfig(parent.url(), "http", credentials ? "sync" : null,
        credentials ? "pw" : null, ca, null, tokenRealms);
    return new ParentCaller(vertx, SyncService.endpoint(config), ParentPolicy.defaults());
  }

  /** Waits until {@code future} ends, either way. */
  private static void settled(Future<?> future) {
    try {
      future.toCompletionStage().toCompletableFuture().handle((v, e) -> null).get(60, TimeUnit.SECONDS);
    } catch (Exception e) {
      throw new AssertionError(e);
    }
  }

  private void assertNoCredentialsReached(ScriptedServer server) {
    for (ScriptedServer.Request r : server.requests()) {
      assertNull(r.authorization(), "credentials reached " + server.url() + r.path());
    }
  }

  @Test
  void credentialsNeverReachAnHttpRealmOnAnotherHostPort() {
    realm = tokenService(ScriptedServer.http());
    parentChallengingWith(realm.url() + "/token?secret=query");

    Future<?> listed = new ListTags(caller(List.of(), true), 100).list("team/app");
    settled(listed);

    assertNoCredentialsReached(realm);
    Throwable failure = Await.failure(listed);
    ParentStatusException refused = assertInstanceOf(ParentStatusException.class, failure, failure.toString());
    assertEquals(401, refused.status());
    assertTrue(failure.getMessage().contains("127.0.0.1:" + realm.port()), failure.getMessage());
    assertTrue(failure.getMessage().contains("parent.tokenRealms"), failure.getMessage());
    assertFalse(failure.getMessage().contains("secret"), "the realm's query is not repeated: " + failure.getMessage());
  }

  /** {@code parent.tokenRealms} means https: the same host:port over plain http gets nothing. */
  @Test
  void httpRealmListedInTokenRealmsGetsNoCredentials() {
    realm = tokenService(ScriptedServer.http());
    parentChallengingWith(realm.url() + "/token");

    Future<?> listed = new ListTags(caller(List.of("127.0.0.1:" + realm.port()), true), 100).list("team/app");
    settled(listed);

    assertNoCredentialsReached(realm);
    Throwable failure = Await.failure(listed);
    assertEquals(401, assertInstanceOf(ParentStatusException.class, failure, failure.toString()).status());
  }

  @Test
  void httpsRealmListedInTokenRealmsGetsTheCredentials() {
    realm = tokenService(ScriptedServer.https(certs.resolve("server.pem"), certs.resolve("server.key")));
    parentChallengingWith(realm.url() + "/token");

    assertEquals(List.of("v1"), Await.result(
        new ListTags(caller(List.of("127.0.0.1:" + realm.port()), true), 100).list("team/app")).orElseThrow().entries());

    List<ScriptedServer.Request> asked = realm.requests("/token");
    assertEquals(1, asked.size());
    assertTrue(asked.get(0).authorization().startsWith("Basic "), asked.toString());
  }

  @Test
  void realmOnTheParentsOwnHostAndPortGetsTheCredentials() {
    tokenService(parent);
    parentChallengingWith(parent.url() + "/token");

    assertEquals(Optional.of(List.of("v1")), Await.result(new ListTags(caller(List.of(), true), 100).list("team/app")).map(Listing::entries));

    assertTrue(parent.requests("/token").get(0).authorization().startsWith("Basic "));
  }

  /** Without credentials there is nothing to leak: any realm is asked, anonymously. */
  @Test
  void anonymousSyncAsksAnyRealmWithoutCredentials() {
    realm = tokenService(ScriptedServer.http());
    parentChallengingWith(realm.url() + "/token");

    assertEquals(Optional.of(List.of("v1")), Await.result(new ListTags(caller(List.of(), false), 100).list("team/app")).map(Listing::entries));

    assertEquals(1, realm.requests("/token").size());
    assertNoCredentialsReached(realm);
  }
}
