package io.connectedregistry.metrics;

import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.vertx.core.MultiMap;
import io.vertx.core.Vertx;
import io.vertx.core.VertxOptions;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.HttpServerOptions;
import io.vertx.core.internal.VertxInternal;
import io.vertx.core.net.SocketAddress;
import io.vertx.core.spi.metrics.HttpServerMetrics;
import io.vertx.core.spi.observability.HttpRequest;
import io.vertx.core.spi.observability.HttpResponse;
import java.io.IOException;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * A connection Vert.x accepted before its server had metrics (it binds first, then sets them)
 * has no socket metric; its request must be served, not stopped by the metrics
 * ({@link EarlyConnectionGuard}). The HTTP server metrics here are the ones the registry's Vert.x
 * really gets, from vertx-micrometer.
 */
class EarlyConnectionGuardTest {
  private static final SocketAddress CLIENT = SocketAddress.inetSocketAddress(40000, "127.0.0.1");

  private RegistryMetrics metrics;
  private Vertx vertx;
  private HttpServerMetrics<Object, Object, Object> server;

  @BeforeEach
  @SuppressWarnings("unchecked")
  void vertxWithTheRegistrysMetrics() {
    metrics = new RegistryMetrics();
    vertx = metrics.createVertx(new VertxOptions());
    server = (HttpServerMetrics<Object, Object, Object>) ((VertxInternal) vertx).metrics()
        .createHttpServerMetrics(new HttpServerOptions(), SocketAddress.inetSocketAddress(5000, "127.0.0.1"));
  }

  @AfterEach
  void close() throws Exception {
    server.close();
    vertx.close().await(10, TimeUnit.SECONDS);
    metrics.close();
  }

  @Test
  void aConnectionWithoutASocketMetricIsServedAndNotCounted() {
    assertInstanceOf(EarlyConnectionGuard.GuardedHttpServerMetrics.class, server);
    Object request = server.requestBegin(null, new Request());
    assertNull(request, "no socket metric, no request metric");
    server.requestRouted(null, "/readyz");
    server.requestEnd(null, new Request(), 0);
    server.responseBegin(null, new Response());
    server.responseEnd(null, new Response(), 15);
    server.requestReset(null);
    server.bytesRead(null, CLIENT, 80);
    server.bytesWritten(null, CLIENT, 120);
    server.exceptionOccurred(null, CLIENT, new IOException("connection reset"));
    server.disconnected(null, CLIENT);
    assertNull(server.responsePushed(null, HttpMethod.GET, "/", new Response()));
  }

  /** What the guard is for: vertx-micrometer itself throws. When it stops, the guard can go. */
  @Test
  @SuppressWarnings("unchecked")
  void vertxMicrometerAloneThrowsOnSuchAConnection() {
    HttpServerMetrics<Object, Object, Object> unguarded = (HttpServerMetrics<Object, Object, Object>)
        new io.vertx.micrometer.MicrometerMetricsFactory(new io.micrometer.core.instrument.simple.SimpleMeterRegistry())
            .metrics(new VertxOptions().setMetricsOptions(new io.vertx.micrometer.MicrometerMetricsOptions().setEnabled(true)))
            .createHttpServerMetrics(new HttpServerOptions(), SocketAddress.inetSocketAddress(5000, "127.0.0.1"));
    assertThrows(NullPointerException.class, () -> unguarded.requestBegin(null, new Request()));
  }

  @Test
  void aConnectionWithASocketMetricIsCountedAsBefore() {
    Object socket = server.connected(CLIENT, "127.0.0.1");
    assertNotNull(socket);
    Object request = server.requestBegin(socket, new Request());
    assertNotNull(request);
    server.requestRouted(request, "/readyz");
    server.requestEnd(request, new Request(), 0);
    server.responseBegin(request, new Response());
    server.responseEnd(request, new Response(), 15);
    server.disconnected(socket, CLIENT);
    String text = metrics.scrapeNow();
    assertTrue(text.lines().anyMatch(l -> l.startsWith("vertx_http_server_requests_total{")
        && l.contains("route=\"/readyz\"") && l.endsWith(" 1.0")), text);
  }

  private static final class Request implements HttpRequest {
    @Override
    public int id() {
      return 1;
    }

    @Override
    public String uri() {
      return "/readyz";
    }

    @Override
    public String absoluteURI() {
      return "http://127.0.0.1:5000/readyz";
    }

    @Override
    public HttpMethod method() {
      return HttpMethod.GET;
    }

    @Override
    public MultiMap headers() {
      return MultiMap.caseInsensitiveMultiMap();
    }

    @Override
    public SocketAddress remoteAddress() {
      return CLIENT;
    }
  }

  private static final class Response implements HttpResponse {
    @Override
    public int statusCode() {
      return 200;
    }

    @Override
    public MultiMap headers() {
      return MultiMap.caseInsensitiveMultiMap();
    }
  }
}
