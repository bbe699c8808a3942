package io.connectedregistry.api;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.vertx.core.Vertx;
import io.vertx.core.http.HttpServer;
import io.vertx.ext.web.Router;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

class CrossSiteGuardTest {

  @Test
  void loopbackNamesWithAnyPortAreLoopback() {
    for (String host : List.of("localhost", "LocalHost:5000", "127.0.0.1", "127.0.0.1:443", "127.255.0.9:1",
        "[::1]", "[::1]:5000", " localhost:80 ")) {
      assertTrue(CrossSiteGuard.isLoopbackHost(host), host);
    }
  }

  @Test
  void everyOtherNameIsNot() {
    for (String host : List.of("evil.example", "evil.example:5000", "127.0.0.1.evil.example", "localhost.evil.example",
        "localhost.", "0.0.0.0", "10.0.0.1:5000", "[::2]", "[::1", "[::1]x", "::1", "128.0.0.1", "127.0.0.256",
        "127.0.0", "", "[::ffff:127.0.0.1]")) {
      assertFalse(CrossSiteGuard.isLoopbackHost(host), host);
    }
  }

  @Test
  void theSameOriginNamesTheHostAndPortOfTheRequest() {
    assertTrue(CrossSiteGuard.isSameOrigin("http://127.0.0.1:5000", "127.0.0.1:5000", false));
    assertTrue(CrossSiteGuard.isSameOrigin("http://LOCALHOST:5000", "localhost:5000", false));
    assertTrue(CrossSiteGuard.isSameOrigin("http://registry.example", "registry.example:80", false));
    assertTrue(CrossSiteGuard.isSameOrigin("https://registry.example", "registry.example", true));
    assertTrue(CrossSiteGuard.isSameOrigin("https://[::1]:8443", "[::1]:8443", true));
  }

  @Test
  void anyOtherOriginIsForeign() {
    assertFalse(CrossSiteGuard.isSameOrigin("http://evil.example", "127.0.0.1:5000", false));
    assertFalse(CrossSiteGuard.isSameOrigin("http://127.0.0.1:5001", "127.0.0.1:5000", false));
    assertFalse(CrossSiteGuard.isSameOrigin("http://localhost:5000", "127.0.0.1:5000", false));
    assertFalse(CrossSiteGuard.isSameOrigin("https://registry.example", "registry.example", false));
    assertFalse(CrossSiteGuard.isSameOrigin("null", "127.0.0.1:5000", false));
    assertFalse(CrossSiteGuard.isSameOrigin("file://", "127.0.0.1:5000", false));
    assertFalse(CrossSiteGuard.isSameOrigin("http://127.0.0.1:5000/path", "127.0.0.1:5000", false));
    assertFalse(CrossSiteGuard.isSameOrigin("ftp://127.0.0.1", "127.0.0.1", false));
    assertFalse(CrossSiteGuard.isSameOrigin("not a uri", "127.0.0.1", false));
    assertFalse(CrossSiteGuard.isSameOrigin("http://127.0.0.1:5000", null, false));
  }

  /** A registry listening on a public address may have any name: its Host is not checked. */
  @Test
  void onANonLoopbackListenerAnyHostIsServedButAForeignOriginStillCannotWrite() throws Exception {
    Vertx vertx = Vertx.vertx();
    try {
      Router router = Router.router(vertx);
      router.route().handler(new CrossSiteGuard(false)::handle);
      router.route().handler(ctx -> ctx.response().end("served"));
      router.route().failureHandler(FailureHandler::handle);
      HttpServer server = vertx.createHttpServer().requestHandler(router)
          .listen(0, "127.0.0.1").await(10, TimeUnit.SECONDS);
      int port = server.actualPort();

      assertTrue(raw(port, "GET / HTTP/1.1\r\nHost: registry.example:5000\r\n\r\n").startsWith("HTTP/1.1 200"));
      assertTrue(raw(port, "POST / HTTP/1.1\r\nHost: registry.example\r\nOrigin: http://registry.example\r\n"
          + "Content-Length: 0\r\n\r\n").startsWith("HTTP/1.1 200"));
      String foreign = raw(port, "POST / HTTP/1.1\r\nHost: registry.example\r\nOrigin: http://evil.example\r\n"
          + "Content-Length: 0\r\n\r\n");
      assertTrue(foreign.startsWith("HTTP/1.1 403"), foreign);
      assertTrue(foreign.contains("\"DENIED\""), foreign);

      CrossSiteGuard loopback = new CrossSiteGuard(true);
      Router guarded = Router.router(vertx);
      guarded.route().handler(loopback::handle);
      guarded.route().handler(ctx -> ctx.response().end("served"));
      guarded.route().failureHandler(FailureHandler::handle);
      HttpServer second = vertx.createHttpServer().requestHandler(guarded)
          .listen(0, "127.0.0.1").await(10, TimeUnit.SECONDS);
      String rebound = raw(second.actualPort(), "GET / HTTP/1.1\r\nHost: registry.example:5000\r\n\r\n");
      assertTrue(rebound.startsWith("HTTP/1.1 403"), rebound);
    } finally {
      vertx.close().await(10, TimeUnit.SECONDS);
    }
  }

  /** The guard remembers the last loopback Host it saw; a foreign one after it is still refused. */
  @Test
  void onALoopbackListenerAForeignHostIsRefusedAfterLoopbackOnesWereServed() throws Exception {
    Vertx vertx = Vertx.vertx();
    try {
      Router router = Router.router(vertx);
      router.route().handler(new CrossSiteGuard(true)::handle);
      router.route().handler(ctx -> ctx.response().end("served"));
      router.route().failureHandler(FailureHandler::handle);
      int port = vertx.createHttpServer().requestHandler(router)
          .listen(0, "127.0.0.1").await(10, TimeUnit.SECONDS).actualPort();
      for (String host : List.of("127.0.0.1:" + port, "127.0.0.1:" + port, "localhost:" + port)) {
        String served = raw(port, "GET / HTTP/1.1\r\nHost: " + host + "\r\n\r\n");
        assertTrue(served.startsWith("HTTP/1.1 200"), served);
        String rebound = raw(port, "GET / HTTP/1.1\r\nHost: attacker.example:" + port + "\r\n\r\n");
        assertTrue(rebound.startsWith("HTTP/1.1 403"), rebound);
        String name = host.substring(0, host.indexOf(':'));
        String lookalike = raw(port, "GET / HTTP/1.1\r\nHost: " + name + ".attacker.example\r\n\r\n");
        assertTrue(lookalike.startsWith("HTTP/1.1 403"), lookalike);
      }
    } finally {
      vertx.close().await(10, TimeUnit.SECONDS);
    }
  }

  private static String raw(int port, String request) throws IOException {
    try (Socket socket = new Socket(InetAddress.getByName("127.0.0.1"), port)) {
      socket.setSoTimeout(10_000);
      socket.getOutputStream().write(request.replace("\r\n\r\n", "\r\nConnection: close\r\n\r\n")
          .getBytes(StandardCharsets.ISO_8859_1));
      InputStream in = socket.getInputStream();
      ByteArrayOutputStream all = new ByteArrayOutputStream();
      byte[] buffer = new byte[4096];
      for (int n; (n = in.read(buffer)) != -1; ) {
        all.write(buffer, 0, n);
      }
      return all.toString(StandardCharsets.ISO_8859_1);
    }
  }
}
