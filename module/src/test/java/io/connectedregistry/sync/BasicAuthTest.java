package io.connectedregistry.sync;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;

import io.connectedregistry.oci.Digest;
import io.connectedregistry.oci.Reference;
import io.vertx.core.Vertx;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Basic auth against a real distribution registry configured with a bcrypt htpasswd file. */
class BasicAuthTest {
  @TempDir static Path shared;
  static Distribution parent;
  static Digest pushed;

  Vertx vertx;

  @BeforeAll
  static void startParent() {
    parent = Distribution.start(shared.resolve("parent"), "sync", "s3cret-pw");
    Path layout = shared.resolve("layout");
    Images.make(layout, "v1", "-l", "1K", "-s", "basic");
    pushed = Images.push(layout, "v1", parent.hostPort(), "secure/app", "sync:s3cret-pw");
  }

  @AfterAll
  static void stopParent() {
    if (parent != null) {
      parent.close();
    }
  }

  @BeforeEach
  void setUp() {
    vertx = Vertx.vertx();
  }

  @AfterEach
  void tearDown() {
    Await.result(vertx.close());
  }

  private ParentCaller caller(String user, String password) {
    ParentEndpoint endpoint = ParentEndpoint.of(parent.url());
    return new ParentCaller(vertx, user == null ? endpoint : endpoint.withCredentials(user, password), ParentPolicy.defaults());
  }

  @Test
  void rightCredentialsAreAccepted() {
    ParentCaller caller = caller("sync", "s3cret-pw");
    Await.result(new Ping(caller).ping());
    assertEquals(List.of("v1"), Await.result(new ListTags(caller, 100).list("secure/app")).orElseThrow().entries());
    assertEquals(pushed, Await.result(new GetManifest(caller).get("secure/app", Reference.parse("v1"))).orElseThrow().digest());
  }

  @Test
  void wrongPasswordFailsWith401AndIsNotRetried() {
    Throwable failure = Await.failure(new Ping(caller("sync", "wrong")).ping());
    ParentStatusException status = assertInstanceOf(ParentStatusException.class, failure);
    assertEquals(401, status.status());
    assertFalse(status.getMessage().contains("wrong"), "the password is not in the message");
  }

  @Test
  void anonymousAccessIsRefused() {
    Throwable failure = Await.failure(new Ping(caller(null, null)).ping());
    assertEquals(401, assertInstanceOf(ParentStatusException.class, failure).status());
  }
}
