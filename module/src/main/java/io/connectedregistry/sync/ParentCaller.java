package io.connectedregistry.sync;

import com.fasterxml.jackson.core.JsonProcessingException;
import io.github.resilience4j.circuitbreaker.CircuitBreaker;
import io.github.resilience4j.circuitbreaker.CircuitBreakerConfig;
import io.github.resilience4j.core.IntervalFunction;
import io.github.resilience4j.retry.Retry;
import io.github.resilience4j.retry.RetryConfig;
import io.vertx.core.Future;
import io.vertx.core.MultiMap;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpClientAgent;
import io.vertx.core.http.HttpClientOptions;
import io.vertx.core.http.HttpClientResponse;
import io.vertx.core.http.HttpClosedException;
import io.vertx.core.http.PoolOptions;
import io.vertx.core.http.RequestOptions;
import io.vertx.core.http.StreamResetException;
import io.vertx.core.json.DecodeException;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.core.net.PemTrustOptions;
import java.io.IOException;
import java.net.URI;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import javax.net.ssl.SSLHandshakeException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The one way to the parent registry: every remote call in this package goes through
 * {@link #call}. It owns the policy that must be the same for all of them: the base URL, TLS and
 * timeouts, authentication ({@link ParentAuth}), redirects, retry with exponential backoff and
 * jitter for GET/HEAD, and a circuit breaker, so that an unreachable parent fails fast with a
 * {@link ParentUnavailableException} instead of every sync task waiting out its own timeouts.
 *
 * <p>Non-blocking: returns Vert.x futures completed on the calling context's event loop.
 */
public final class ParentCaller implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(ParentCaller.class);
  private static final Set<Integer> REDIRECTS = Set.of(301, 302, 303, 307, 308);
  private static final int MAX_REDIRECTS = 5;
  /**
   * Parent bodies are decoded by jackson-core's streaming parser (as Vert.x's own codec does
   * without databind), not by the databind codec {@code new JsonObject(body)} picks: the same
   * objects, numbers and depth limit, without the first cycle's event loop initialising an
   * ObjectMapper for it (30-45 ms of a cold first sync's first answer).
   */
  private static final io.vertx.core.json.jackson.JacksonCodec JSON = new io.vertx.core.json.jackson.JacksonCodec();
  /** HTTP/1.1 connections to the parent at once: what a cycle's parallel requests can use. */
  static final int MAX_CONNECTIONS = 16;
  /** The largest body chunk the HTTP decoder hands on. */
  static final int BODY_CHUNK_BYTES = 256 * 1024;

  /** Reads a response the caller has accepted. It arrives paused: read it, stream it, or discard it. */
  @FunctionalInterface
  public interface ResponseReader<T> {
    Future<T> read(HttpClientResponse response);
  }

  private final Vertx vertx;
  private final ParentEndpoint endpoint;
  private final HttpClientAgent client;
  private final ParentAuth auth;
  private final Retry retry;
  private final CircuitBreaker breaker;
  /** HTTP requests sent to the parent (retries, challenges and redirects included). */
  private final java.util.concurrent.atomic.AtomicLong requestsSent = new java.util.concurrent.atomic.AtomicLong();

  public ParentCaller(Vertx vertx, ParentEndpoint endpoint, ParentPolicy policy) {
    this.vertx = vertx;
    this.endpoint = endpoint;
    HttpClientOptions options = new HttpClientOptions()
        .setConnectTimeout((int) endpoint.connectTimeout().toMillis())
        .setIdleTimeout((int) endpoint.idleTimeout().toMillis())
        .setIdleTimeoutUnit(TimeUnit.MILLISECONDS)
        // Body chunks as large as a socket read (Netty's default cuts them at 8 KiB): a blob
        // comes down in far fewer pieces, each still a slice of the read, not a copy.
        .setMaxChunkSize(BODY_CHUNK_BYTES);
    if (endpoint.caBundle() != null) {
      options.setTrustOptions(new PemTrustOptions().addCertPath(endpoint.caBundle().toString()));
    }
    // Vert.x's default of 5 connections per host would cap every parallel part of a cycle (tags,
    // repositories, blobs, HEADs) at 5 requests in flight, each a loopback or WAN round trip.
    // Every connection gets the body tap, so that a blob download can take its pooled buffers
    // without Vert.x's per-chunk heap copy (DirectBody); other responses pass untouched.
    this.client = vertx.httpClientBuilder()
        .with(options)
        .with(new PoolOptions().setHttp1MaxSize(MAX_CONNECTIONS))
        .withConnectHandler(ParentBodyTap::install)
        .build();
    this.auth = new ParentAuth(client, endpoint);
    this.retry = Retry.of("parent", RetryConfig.custom()
        .maxAttempts(policy.maxAttempts())
        .intervalFunction(IntervalFunction.ofExponentialRandomBackoff(
            policy.initialBackoff(), 2.0, policy.backoffJitter()))
        .retryOnException(ParentCaller::isTransient)
        .build());
    this.breaker = CircuitBreaker.of("parent", CircuitBreakerConfig.custom()
        .failureRateThreshold(policy.failureRateThreshold())
        .slidingWindowType(CircuitBreakerConfig.SlidingWindowType.COUNT_BASED)
        .slidingWindowSize(policy.slidingWindowSize())
        .minimumNumberOfCalls(policy.minimumCalls())
        .waitDurationInOpenState(policy.openDuration())
        .permittedNumberOfCallsInHalfOpenState(1)
        .build());
  }

  public ParentEndpoint endpoint() {
    return endpoint;
  }

  /** Requests sent so far: what a sync cycle cost the link (status reports the difference). */
  public long requestsSent() {
    return requestsSent.get();
  }

  public Vertx vertx() {
    return vertx;
  }

  /** For status reports: CLOSED (healthy), OPEN (failing fast), HALF_OPEN (trying again). */
  public CircuitBreaker.State circuitState() {
    return breaker.getState();
  }

  /**
   * Sends {@code request} and hands the response to {@code reader}. 401 challenges are answered
   * once; 429 and 5xx fail with {@link ParentStatusException}; GET/HEAD are retried on those and on
   * connection errors and timeouts (also when they happen while {@code reader} reads the body).
   */
  public <T> Future<T> call(ParentRequest request, ResponseReader<T> reader) {
    Promise<T> result = Promise.promise();
    Retry.AsyncContext<T> retries = request.idempotent() ? retry.asyncContext() : null;
    run(request, reader, retries, result);
    return result.future();
  }

  private <T> void run(ParentRequest request, ResponseReader<T> reader, Retry.AsyncContext<T> retries, Promise<T> result) {
    attempt(request).compose(reader::read).onComplete(outcome -> {
      if (outcome.succeeded()) {
        if (retries != null) {
          retries.onComplete();
        }
        result.complete(outcome.result());
        return;
      }
      Throwable failure = outcome.cause();
      long delay = retries == null ? -1 : retries.onError(failure);
      if (delay < 0) {
        result.fail(finalFailure(request, failure));
        return;
      }
      LOG.debug("{} {} failed ({}); retrying in {} ms", request.method(), request.loggable(), failure.toString(), delay);
      vertx.setTimer(Math.max(1, delay), t -> run(request, reader, retries, result));
    });
  }

  /** One try, through the circuit breaker: a response that is not a failure, or a failure. */
  private Future<HttpClientResponse> attempt(ParentRequest request) {
    if (!breaker.tryAcquirePermission()) {
      return Future.failedFuture(new ParentUnavailableException("parent " + endpoint.baseUrl()
          + " is unavailable (circuit open after repeated failures); " + request.method() + " "
          + request.loggable() + " not sent", null));
    }
    long start = System.nanoTime();
    return exchange(request).transform(outcome -> {
      long took = System.nanoTime() - start;
      if (outcome.failed()) {
        if (isTransient(outcome.cause())) {
          breaker.onError(took, TimeUnit.NANOSECONDS, outcome.cause());
        } else {
          breaker.onSuccess(took, TimeUnit.NANOSECONDS); // the parent answered
        }
        return Future.failedFuture(outcome.cause());
      }
      HttpClientResponse response = outcome.result();
      int status = response.statusCode();
      if (status == 429 || status >= 500) {
        return ParentCaller.<HttpClientResponse>failure(request, response).onFailure(e -> {
          if (status >= 500) {
            breaker.onError(took, TimeUnit.NANOSECONDS, e);
          } else {
            breaker.onSuccess(took, TimeUnit.NANOSECONDS); // busy, not down
          }
        });
      }
      breaker.onSuccess(took, TimeUnit.NANOSECONDS);
      return Future.succeededFuture(response);
    });
  }

  /** Send, answer one 401 challenge, follow redirects of GET/HEAD. */
  private Future<HttpClientResponse> exchange(ParentRequest request) {
    String authorization = auth.headerFor(request.scope());
    return send(request, authorization).compose(response -> {
      if (response.statusCode() != 401) {
        return followRedirects(request, response, authorization, 0);
      }
      AuthChallenge challenge = AuthChallenge.parse(response.getHeader("WWW-Authenticate"));
      return discard(response)
          .compose(v -> auth.answer(challenge, request, authorization))
          .compose(retried -> send(request, retried)
              .compose(second -> followRedirects(request, second, retried, 0)));
    });
  }

  private Future<HttpClientResponse> followRedirects(
      ParentRequest request, HttpClientResponse response, String authorization, int hops) {
    String location = response.getHeader("Location");
    if (!request.idempotent() || !REDIRECTS.contains(response.statusCode()) || location == null) {
      return Future.succeededFuture(response);
    }
    if (hops == MAX_REDIRECTS) {
      return discard(response).compose(v -> Future.failedFuture(new ParentStatusException(
          request.method().name(), request.loggable(), response.statusCode(), null, "too many redirects")));
    }
    URI next = URI.create(absolute(request.target())).resolve(location);
    // Blob redirects usually point at object storage, which refuses (or would learn) our credentials.
    String nextAuthorization = endpoint.isParent(next) ? authorization : null;
    ParentRequest redirected = new ParentRequest(request.method(), next.toString(), request.scope(),
        request.headers(), null, null);
    return discard(response)
        .compose(v -> send(redirected, nextAuthorization))
        .compose(r -> followRedirects(redirected, r, nextAuthorization, hops + 1));
  }

  /** The raw exchange: completes with the response head, the response paused. */
  private Future<HttpClientResponse> send(ParentRequest request, String authorization) {
    requestsSent.incrementAndGet();
    RequestOptions options = new RequestOptions()
        .setMethod(request.method())
        .setAbsoluteURI(absolute(request.target()))
        .setConnectTimeout(endpoint.connectTimeout().toMillis())
        .setIdleTimeout(endpoint.idleTimeout().toMillis())
        // Redirects are followed here, not by Vert.x, so that credentials never leave the parent.
        .setFollowRedirects(false);
    MultiMap headers = MultiMap.caseInsensitiveMultiMap().addAll(request.headers());
    // Credentials go only to the parent itself, whatever a Link or Location header points at.
    if (authorization != null && endpoint.isParent(URI.create(absolute(request.target())))) {
      headers.set("Authorization", authorization);
    }
    options.setHeaders(headers);
    return client.request(options).compose(http -> {
      Future<HttpClientResponse> sent;
      if (request.body() != null) {
        sent = http.send(request.body());
      } else if (request.bodySource() != null) {
        sent = request.bodySource().open().compose(http::send);
      } else {
        sent = http.send();
      }
      // Paused at once, on the event loop that delivered the head, so no body byte is lost
      // before the reader attaches its handlers.
      return sent.map(response -> {
        response.pause();
        return response;
      });
    });
  }

  /** A target of this parent as an absolute URL; an absolute URL elsewhere is refused (credentials). */
  String absolute(String target) {
    if (target.startsWith("http://") || target.startsWith("https://")) {
      return target;
    }
    return endpoint.baseUrl() + (target.startsWith("/") ? "" : "/") + target;
  }

  /**
   * An upload {@code Location} as an absolute URL. A location on another host is refused: the
   * next PATCH/PUT would carry our credentials there.
   */
  String uploadLocation(String location) {
    URI resolved = URI.create(endpoint.baseUrl() + "/").resolve(location);
    if (!endpoint.isParent(resolved)) {
      throw new ParentStatusException("POST", "upload", 202, null,
          "upload location on another host (" + ParentEndpoint.authorityOf(resolved) + ") is not supported");
    }
    return resolved.toString();
  }

  // ---- helpers for readers: every body read from the parent is bounded ----

  /**
   * Error bodies are a line or two of OCI error JSON; only their first code and message (or 200
   * characters of text) are kept, so a few KiB is plenty.
   */
  static final long MAX_ERROR_BYTES = 8 * 1024;
  /**
   * Bodies nobody needs (404s, challenges, redirects) are small; up to this much is read so the
   * connection can be reused, a longer one is dropped with its connection.
   */
  static final long MAX_DISCARDED_BYTES = 64 * 1024;

  /**
   * The whole body of {@code request}'s answer, at most {@code max} bytes; a longer one fails with
   * a {@link ParentStatusException} (error code {@code tooLargeCode}, may be null) without being
   * read further.
   */
  public static Future<Buffer> body(ParentRequest request, HttpClientResponse response, long max, String tooLargeCode) {
    return BoundedBody.read(response, max, () -> new ParentStatusException(request.method().name(),
        request.loggable(), response.statusCode(), tooLargeCode,
        "the body is larger than " + max + " bytes; not read further"));
  }

  /** The body as a JSON object (at most {@code max} bytes); not JSON fails with a {@link ParentStatusException}. */
  public static Future<JsonObject> json(ParentRequest request, HttpClientResponse response, long max) {
    return body(request, response, max, null).map(body -> jsonObject(request, response.statusCode(), body));
  }

  /**
   * {@code body} as a JSON object (empty for an empty body).
   *
   * @throws ParentStatusException when it is not one (not JSON, not an object, nested too deep)
   */
  static JsonObject jsonObject(ParentRequest request, int status, Buffer body) {
    if (body.length() == 0) {
      return new JsonObject();
    }
    try {
      @SuppressWarnings("unchecked")
      java.util.Map<String, Object> object = JSON.fromBuffer(body, java.util.Map.class);
      return new JsonObject(object);
    } catch (RuntimeException notJson) {
      throw new ParentStatusException(request.method().name(), request.loggable(), status,
          null, "the body is not a JSON object");
    }
  }

  /** Drops the body: read (up to a few KiB) so the connection can be reused, else closed. */
  public static Future<Void> discard(HttpClientResponse response) {
    return BoundedBody.discard(response, MAX_DISCARDED_BYTES);
  }

  /** Fails with a {@link ParentStatusException} built from the response's status and OCI error body. */
  public static <T> Future<T> failure(ParentRequest request, HttpClientResponse response) {
    String tooLarge = "(an error body larger than " + MAX_ERROR_BYTES + " bytes, not read)";
    return BoundedBody.read(response, MAX_ERROR_BYTES, () -> new IllegalStateException(tooLarge)).transform(read -> {
      String code = null;
      String detail = null;
      if (read.failed()) {
        detail = read.cause() instanceof IllegalStateException ? tooLarge : null;
      } else {
        Buffer buffer = read.result();
        try {
          JsonArray errors = new JsonObject(buffer).getJsonArray("errors");
          if (errors != null && !errors.isEmpty()) {
            JsonObject first = errors.getJsonObject(0);
            code = shorten(first.getString("code"));
            detail = shorten(first.getString("message"));
          }
        } catch (RuntimeException notJson) {
          detail = shorten(buffer.toString());
        }
      }
      return Future.failedFuture(new ParentStatusException(
          request.method().name(), request.loggable(), response.statusCode(), code, detail));
    });
  }

  /** The parent's words as they go into logs and the status: 200 characters at most. */
  private static String shorten(String text) {
    return text == null || text.length() <= 200 ? text : text.substring(0, 200) + "...";
  }

  /** Connection errors, timeouts, 429 and 5xx: what another try may fix (not TLS trust failures). */
  static boolean isTransient(Throwable failure) {
    for (Throwable t = failure; t != null; t = t.getCause()) {
      if (t instanceof ParentUnavailableException) {
        return false;
      }
      if (t instanceof ParentStatusException status) {
        return status.transientStatus();
      }
      if (t instanceof SSLHandshakeException) {
        return false; // a certificate the CA bundle does not trust stays untrusted: say so at once
      }
      if (t instanceof DecodeException || t instanceof JsonProcessingException) {
        return false; // a body that is not JSON (Jackson's errors are IOExceptions) stays so next time
      }
      if (t instanceof IOException || t instanceof TimeoutException
          || t instanceof HttpClosedException || t instanceof StreamResetException) {
        return true;
      }
    }
    return false;
  }

  private Throwable finalFailure(ParentRequest request, Throwable failure) {
    if (isTransient(failure) && !(failure instanceof ParentStatusException)) {
      return new ParentUnavailableException("parent " + endpoint.baseUrl() + " unreachable for "
          + request.method() + " " + request.loggable() + ": " + failure, failure);
    }
    return failure;
  }

  @Override
  public void close() {
    client.close();
  }
}
