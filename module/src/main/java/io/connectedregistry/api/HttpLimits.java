package io.connectedregistry.api;

import io.connectedregistry.auth.Principal;
import io.connectedregistry.config.RegistryConfig.HttpConfig;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpConnection;
import io.vertx.ext.web.RoutingContext;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * What the HTTP server lets clients hold: connections, time and body memory. One instance serves
 * every server instance of a registry (one per event loop, on one port), so the bounds hold for the
 * process as a whole.
 *
 * <ul>
 *   <li>At most {@code http.maxConnections} connections are open; a connection beyond that is
 *       closed as soon as it is accepted.
 *   <li>A new connection must deliver its first request's headers within {@code http.headerTimeout}
 *       (slow-loris: headers sent a byte at a time).
 *   <li>Between requests a connection may stay idle for {@code http.unauthenticatedIdleTimeout}
 *       until one of its requests carried valid credentials, then for {@code http.idleTimeout}.
 *       The next request's headers must arrive within that time too: without seeing the bytes of
 *       a request before its headers are complete, a keep-alive connection that idles cannot be
 *       told from one that sends its headers slowly.
 *   <li>During a request, the server's own idle timeout ({@code http.idleTimeout}, no byte either
 *       way) applies, and {@link BodyReader} bounds how long a body held in memory may take.
 *   <li>Request bodies held in memory draw on one {@link BodyBudget}.
 * </ul>
 *
 * A per-connection timer runs on the connection's event loop; nothing here blocks.
 */
final class HttpLimits {
  private static final Logger LOG = LoggerFactory.getLogger(HttpLimits.class);
  private static final String KEY = "registry.httpLimits";
  private static final long FULL_WARNING_INTERVAL_NANOS = Duration.ofMinutes(1).toNanos();

  private final Vertx vertx;
  private final HttpConfig config;
  private final BodyBudget bodies;
  private final AtomicInteger open = new AtomicInteger();
  private final Map<HttpConnection, Watch> watches = new ConcurrentHashMap<>();
  private final AtomicLong lastFullWarning = new AtomicLong(System.nanoTime() - FULL_WARNING_INTERVAL_NANOS);

  HttpLimits(Vertx vertx, HttpConfig config, BodyBudget bodies) {
    this.vertx = vertx;
    this.config = config;
    this.bodies = bodies;
  }

  /** The limits of the server that received this request. */
  static HttpLimits of(RoutingContext ctx) {
    HttpLimits limits = ctx.get(KEY);
    if (limits == null) {
      throw new IllegalStateException("request not routed through HttpLimits.requestStarted");
    }
    return limits;
  }

  /** True once the request's caller was resolved to a token (anonymous callers do not count). */
  static boolean authenticated(RoutingContext ctx) {
    Principal principal = AuthHandler.principal(ctx);
    return principal != null && !(principal instanceof Principal.Anonymous);
  }

  BodyBudget bodies() {
    return bodies;
  }

  HttpConfig config() {
    return config;
  }

  /** Connections open now, on all server instances. */
  int openConnections() {
    return open.get();
  }

  /** How long a body held in memory may take to arrive, for this request's caller. */
  Duration bodyTimeout(RoutingContext ctx) {
    return authenticated(ctx) ? config.idleTimeout() : config.unauthenticatedIdleTimeout();
  }

  /** The server's connection handler: counts the connection, or closes it when the cap is reached. */
  void connected(HttpConnection connection) {
    if (open.incrementAndGet() > config.maxConnections()) {
      open.decrementAndGet();
      warnFull();
      connection.close();
      return;
    }
    Watch watch = new Watch(connection);
    watches.put(connection, watch);
    connection.closeHandler(v -> {
      watches.remove(connection);
      watch.closed();
      open.decrementAndGet();
    });
    watch.arm(config.headerTimeout(), "no request headers within http.headerTimeout");
  }

  /** The first route of every request: stops the connection's timer until the answer is sent. */
  void requestStarted(RoutingContext ctx) {
    Watch watch = watches.get(ctx.request().connection());
    if (watch == null) {
      // A connection refused at the cap whose request was already read: not served.
      ctx.request().connection().close();
      return;
    }
    watch.requestStarted();
    ctx.put(KEY, this);
    ctx.addEndHandler(done -> watch.requestEnded(authenticated(ctx)));
    ctx.next();
  }

  private void warnFull() {
    long last = lastFullWarning.get();
    long now = System.nanoTime();
    if (now - last >= FULL_WARNING_INTERVAL_NANOS && lastFullWarning.compareAndSet(last, now)) {
      LOG.warn("{} connections open (http.maxConnections): closing new connections until some end",
          config.maxConnections());
    }
  }

  /** One connection's timer. Touched only on the connection's event loop. */
  private final class Watch {
    private final HttpConnection connection;
    private long timer = -1;
    private int requests;
    private boolean authenticated;
    private boolean closed;

    Watch(HttpConnection connection) {
      this.connection = connection;
    }

    void requestStarted() {
      cancel();
      requests++;
    }

    void requestEnded(boolean withCredentials) {
      requests--;
      authenticated |= withCredentials;
      if (requests == 0) {
        arm(authenticated ? config.idleTimeout() : config.unauthenticatedIdleTimeout(),
            authenticated ? "idle for http.idleTimeout" : "idle for http.unauthenticatedIdleTimeout");
      }
    }

    void arm(Duration timeout, String reason) {
      cancel();
      if (closed) {
        return;
      }
      timer = vertx.setTimer(Math.max(1, timeout.toMillis()), id -> {
        timer = -1;
        LOG.debug("closing the connection from {}: {}", connection.remoteAddress(), reason);
        connection.close();
      });
    }

    void closed() {
      closed = true;
      cancel();
    }

    private void cancel() {
      if (timer >= 0) {
        vertx.cancelTimer(timer);
        timer = -1;
      }
    }
  }
}
