package io.connectedregistry.api;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.connectedregistry.config.RegistryConfig.HttpConfig;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpServer;
import io.vertx.core.http.HttpServerOptions;
import io.vertx.ext.web.Router;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * {@link HttpLimits} and {@link BodyReader} on a real Vert.x server on 127.0.0.1, wired as
 * {@code RegistryVerticle} wires them, driven through plain sockets.
 */
class HttpLimitsTest {
  private static final int MIB = 1024 * 1024;
  private static final Duration LONG = Duration.ofSeconds(30);

  private final List<Socket> sockets = new ArrayList<>();
  private Vertx vertx;
  private HttpLimits limits;
  private int port;

  @AfterEach
  void stop() throws Exception {
    for (Socket s : sockets) {
      s.close();
    }
    if (vertx != null) {
      vertx.close().await(10, TimeUnit.SECONDS);
    }
  }

  private void start(int maxConnections, Duration headerTimeout, Duration unauthenticatedIdle) throws Exception {
    vertx = Vertx.vertx();
    limits = new HttpLimits(vertx, new HttpConfig(maxConnections, headerTimeout, Duration.ofSeconds(60),
        unauthenticatedIdle, 0, List.of()), new BodyBudget(4 * MIB));
    Router router = Router.router(vertx);
    router.route().order(-1).handler(limits::requestStarted);
    router.get("/ok").handler(ctx -> ctx.response().end("ok"));
    router.post("/body").handler(ctx -> BodyReader.read(ctx, 4 * MIB)
        .onSuccess(body -> ctx.response().end(String.valueOf(body.length())))
        .onFailure(ctx::fail));
    router.put("/manifest").handler(ctx -> BodyReader.readManifest(ctx, 4 * MIB)
        .onSuccess(body -> ctx.response().end(String.valueOf(body.length())))
        .onFailure(ctx::fail));
    router.route().failureHandler(FailureHandler::handle);
    HttpServer server = vertx.createHttpServer(new HttpServerOptions().setHost("127.0.0.1").setPort(0)
            .setHttp2ClearTextEnabled(false))
        .connectionHandler(limits::connected)
        .requestHandler(router);
    port = server.listen().await(10, TimeUnit.SECONDS).actualPort();
  }

  @Test
  void connectionsBeyondTheCapAreClosedAtOnceAndTheCapFreesAsConnectionsEnd() throws Exception {
    start(8, LONG, LONG);
    List<Socket> held = new ArrayList<>();
    for (int i = 0; i < 8; i++) {
      held.add(connect());
    }
    awaitTrue(() -> limits.openConnections() == 8, "8 connections counted");

    Duration refused = closedWithin(connect(), Duration.ofSeconds(5));
    assertNotNull(refused, "the ninth connection is closed at once");
    for (Socket s : held) {
      assertNull(closedWithin(s, Duration.ofMillis(200)), "the first eight stay open");
    }

    held.get(0).close();
    awaitTrue(() -> limits.openConnections() == 7, "a closed connection frees its place");
    Socket next = connect();
    send(next, "GET /ok HTTP/1.1\r\nHost: x\r\n\r\n");
    assertTrue(readResponse(next).startsWith("HTTP/1.1 200"));
  }

  @Test
  void aConnectionWithoutCompleteHeadersIsClosedAfterTheHeaderTimeout() throws Exception {
    start(8, Duration.ofSeconds(1), LONG);
    Socket s = connect();
    send(s, "GET /ok HTTP/1.1\r\nHo");

    Duration closed = closedWithin(s, Duration.ofSeconds(10));
    assertNotNull(closed, "closed by the header timeout");
    assertTrue(closed.compareTo(Duration.ofMillis(900)) >= 0, "not before the header timeout: " + closed);
  }

  @Test
  void anUnauthenticatedConnectionIsClosedAfterItsShortIdleTimeoutBetweenRequests() throws Exception {
    start(8, LONG, Duration.ofSeconds(1));
    Socket s = connect();
    for (int i = 0; i < 2; i++) {
      send(s, "GET /ok HTTP/1.1\r\nHost: x\r\n\r\n");
      assertTrue(readResponse(s).startsWith("HTTP/1.1 200"), "keep-alive works meanwhile");
    }

    Duration closed = closedWithin(s, Duration.ofSeconds(10));
    assertNotNull(closed, "closed when idle");
    assertTrue(closed.compareTo(Duration.ofMillis(900)) >= 0, "not before the idle timeout: " + closed);
  }

  @Test
  void aBodyDrawsOnTheBudgetAsItArrivesAndGivesItBackOnceAnswered() throws Exception {
    start(8, LONG, LONG);
    Socket s = connect();
    send(s, "POST /body HTTP/1.1\r\nHost: x\r\nContent-Length: 1000\r\n\r\n" + "a".repeat(600));
    awaitTrue(() -> limits.bodies().used() == 600, "600 bytes arrived, 600 held (used: " + limits.bodies().used() + ")");

    send(s, "a".repeat(400));
    String answer = readResponse(s);
    assertTrue(answer.startsWith("HTTP/1.1 200") && answer.endsWith("\r\n\r\n1000"), answer);
    awaitTrue(() -> limits.bodies().used() == 0, "given back once answered");
  }

  @Test
  void anAnnouncedLengthCostsNothingAndABodyThatDoesNotComeIs408() throws Exception {
    start(8, LONG, Duration.ofSeconds(1));
    Socket s = connect();
    send(s, "POST /body HTTP/1.1\r\nHost: x\r\nContent-Length: " + 4 * MIB + "\r\n\r\n" + "a".repeat(10));
    awaitTrue(() -> limits.bodies().used() == 10, "only what arrived is held, not the 4 MiB announced");

    String answer = readResponse(s);
    assertTrue(answer.startsWith("HTTP/1.1 408") && answer.contains("REQUEST_TIMEOUT"), answer);
    assertNotNull(closedWithin(s, Duration.ofSeconds(5)), "the connection is closed after the answer");
    awaitTrue(() -> limits.bodies().used() == 0, "given back");
  }

  @Test
  void aBodyBeyondTheBudgetIsRefused503WithRetryAfterWhileTheOthersGoOn() throws Exception {
    start(8, LONG, LONG);
    Socket first = connect();
    send(first, "POST /body HTTP/1.1\r\nHost: x\r\nContent-Length: " + 4 * MIB + "\r\n\r\n" + "a".repeat(3 * MIB));
    awaitTrue(() -> limits.bodies().used() == 3 * MIB, "3 MiB held");

    Socket second = connect();
    // Read while sending: the registry answers before the body is through, then closes.
    CompletableFuture<String> answered = CompletableFuture.supplyAsync(() -> {
      try {
        return readResponse(second);
      } catch (IOException e) {
        return "not read: " + e;
      }
    });
    sendQuietly(second, "POST /body HTTP/1.1\r\nHost: x\r\nContent-Length: " + 2 * MIB + "\r\n\r\n"
        + "b".repeat(2 * MIB));
    String refused = answered.get(10, TimeUnit.SECONDS);
    assertTrue(refused.startsWith("HTTP/1.1 503") && refused.toLowerCase(Locale.ROOT).contains("\r\nretry-after: 2\r\n")
        && refused.contains("UNAVAILABLE"), refused);
    assertNotNull(closedWithin(second, Duration.ofSeconds(5)), "the refused connection is closed");
    awaitTrue(() -> limits.bodies().used() == 3 * MIB, "the refused body gave its share back");

    send(first, "a".repeat(MIB));
    String answer = readResponse(first);
    assertTrue(answer.startsWith("HTTP/1.1 200") && answer.endsWith("\r\n\r\n" + 4 * MIB), answer);
    awaitTrue(() -> limits.bodies().used() == 0, "given back");
  }

  @Test
  void aDeclaredLengthPastTheLimitIsRefused413AndTheConnectionClosed() throws Exception {
    start(8, LONG, LONG);
    Socket s = connect();
    send(s, "POST /body HTTP/1.1\r\nHost: x\r\nContent-Length: " + (4 * MIB + 1) + "\r\n\r\n");

    String answer = readResponse(s);
    assertTrue(answer.startsWith("HTTP/1.1 413") && answer.contains("MANIFEST_INVALID"), answer);
    assertNotNull(closedWithin(s, Duration.ofSeconds(5)), "closed rather than reading the body");
    assertEquals(0, limits.bodies().used());
  }

  @Test
  void aManifestCountsWhatParsingItCostsAndOneTheBudgetCouldNeverHoldIs413() throws Exception {
    start(8, LONG, LONG);
    int largest = 4 * MIB / BodyReader.MANIFEST_WEIGHT;
    Socket tooLarge = connect();
    send(tooLarge, "PUT /manifest HTTP/1.1\r\nHost: x\r\nContent-Length: " + (largest + 1) + "\r\n\r\n");
    String refused = readResponse(tooLarge);
    assertTrue(refused.startsWith("HTTP/1.1 413") && refused.contains("at most " + largest + " bytes on this registry"),
        refused);

    Socket s = connect();
    send(s, "PUT /manifest HTTP/1.1\r\nHost: x\r\nContent-Length: " + largest + "\r\n\r\n" + "m".repeat(1000));
    awaitTrue(() -> limits.bodies().used() == 1000L * BodyReader.MANIFEST_WEIGHT, "1000 bytes count "
        + BodyReader.MANIFEST_WEIGHT + " times (used: " + limits.bodies().used() + ")");
    send(s, "m".repeat(largest - 1000));
    String answer = readResponse(s);
    assertTrue(answer.startsWith("HTTP/1.1 200") && answer.endsWith("\r\n\r\n" + largest), answer);
    awaitTrue(() -> limits.bodies().used() == 0, "given back");
  }

  // ------------------------------------------------------------------------------------------

  private Socket connect() throws IOException {
    Socket s = new Socket();
    sockets.add(s);
    s.connect(new InetSocketAddress("127.0.0.1", port), 5000);
    return s;
  }

  private static void send(Socket s, String text) throws IOException {
    s.getOutputStream().write(text.getBytes(StandardCharsets.US_ASCII));
    s.getOutputStream().flush();
  }

  /** Sends what the server may refuse halfway (it closes the connection after answering). */
  private static void sendQuietly(Socket s, String text) {
    try {
      send(s, text);
    } catch (IOException e) {
      // the server stopped reading: its answer tells why
    }
  }

  /** One response (headers and a Content-Length body) as text; fails after 10 s. */
  private static String readResponse(Socket s) throws IOException {
    s.setSoTimeout(10_000);
    InputStream in = s.getInputStream();
    ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    int length = -1;
    while (true) {
      int b = in.read();
      if (b < 0) {
        break;
      }
      bytes.write(b);
      String text = bytes.toString(StandardCharsets.ISO_8859_1);
      int end = text.indexOf("\r\n\r\n");
      if (end >= 0 && length < 0) {
        length = text.toLowerCase(Locale.ROOT).lines().filter(l -> l.startsWith("content-length:"))
            .map(l -> Integer.parseInt(l.substring("content-length:".length()).strip())).findFirst().orElse(0);
      }
      if (end >= 0 && bytes.size() >= end + 4 + length) {
        break;
      }
    }
    return bytes.toString(StandardCharsets.ISO_8859_1);
  }

  /** How long until the server closed {@code s} (reading and dropping what it sends), or null if still open. */
  private static Duration closedWithin(Socket s, Duration timeout) throws IOException {
    long start = System.nanoTime();
    long end = start + timeout.toNanos();
    InputStream in = s.getInputStream();
    while (System.nanoTime() < end) {
      s.setSoTimeout((int) Math.max(1, (end - System.nanoTime()) / 1_000_000));
      try {
        if (in.read() < 0) {
          return Duration.ofNanos(System.nanoTime() - start);
        }
      } catch (SocketTimeoutException e) {
        return null;
      } catch (IOException e) {
        return Duration.ofNanos(System.nanoTime() - start); // reset by the server
      }
    }
    return null;
  }

  private static void awaitTrue(BooleanSupplier condition, String what) throws InterruptedException {
    long end = System.nanoTime() + Duration.ofSeconds(5).toNanos();
    while (!condition.getAsBoolean()) {
      if (System.nanoTime() > end) {
        throw new AssertionError("not within 5 s: " + what);
      }
      Thread.sleep(10);
    }
  }
}
