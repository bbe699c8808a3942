package io.connectedregistry.sync;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.vertx.core.Vertx;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** HTTPS to a distribution registry whose certificate a private CA signed (openssl, made here). */
class TlsTest {
  @TempDir static Path dir;
  static Distribution parent;
  static Path ca;

  @BeforeAll
  static void startParent() throws Exception {
    Distribution.assumeInstalled();
    ca = dir.resolve("ca.pem");
    Files.writeString(dir.resolve("san.ext"), "subjectAltName=IP:127.0.0.1\n");
    openssl("req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", "ca.key", "-out", "ca.pem",
        "-days", "2", "-subj", "/CN=sync-test-ca");
    openssl("req", "-newkey", "rsa:2048", "-nodes", "-keyout", "server.key", "-out", "server.csr",
        "-subj", "/CN=127.0.0.1");
    openssl("x509", "-req", "-in", "server.csr", "-CA", "ca.pem", "-CAkey", "ca.key", "-CAcreateserial",
        "-out", "server.pem", "-days", "2", "-extfile", "san.ext");
    parent = Distribution.startTls(dir.resolve("parent"), dir.resolve("server.pem"), dir.resolve("server.key"));
  }

  @AfterAll
  static void stopParent() {
    if (parent != null) {
      parent.close();
    }
  }

  private static void openssl(String... args) throws Exception {
    List<String> cmd = new java.util.ArrayList<>(List.of("openssl"));
    cmd.addAll(List.of(args));
    Process p = new ProcessBuilder(cmd).directory(dir.toFile()).redirectErrorStream(true)
        .redirectOutput(dir.resolve("openssl.log").toFile()).start();
    assertTrue(p.waitFor(60, TimeUnit.SECONDS) && p.exitValue() == 0, Files.readString(dir.resolve("openssl.log")));
  }

  @Test
  void parentCertificateSignedByTheConfiguredCaIsTrusted() {
    Vertx vertx = Vertx.vertx();
    try (ParentCaller caller = new ParentCaller(vertx, ParentEndpoint.of(parent.url()).withCaBundle(ca), ParentPolicy.defaults())) {
      Await.result(new Ping(caller).ping());
    } finally {
      Await.result(vertx.close());
    }
  }

  @Test
  void parentCertificateIsRefusedWithoutTheCa() {
    Vertx vertx = Vertx.vertx();
    ParentEndpoint endpoint = ParentEndpoint.of(parent.url()).withTimeouts(Duration.ofSeconds(2), Duration.ofSeconds(2));
    try (ParentCaller caller = new ParentCaller(vertx, endpoint, ParentPolicy.defaults())) {
      Throwable failure = Await.failure(new Ping(caller).ping());
      assertInstanceOf(javax.net.ssl.SSLHandshakeException.class, rootOrSsl(failure), failure.toString());
      // Not "unavailable": retrying cannot fix an untrusted certificate, so it is reported as it is.
      assertFalse(failure instanceof ParentUnavailableException, failure.toString());
      assertEquals(io.github.resilience4j.circuitbreaker.CircuitBreaker.State.CLOSED, caller.circuitState());
    } finally {
      Await.result(vertx.close());
    }
  }

  private static Throwable rootOrSsl(Throwable t) {
    for (Throwable c = t; c != null; c = c.getCause()) {
      if (c instanceof javax.net.ssl.SSLHandshakeException) {
        return c;
      }
    }
    return t;
  }
}
