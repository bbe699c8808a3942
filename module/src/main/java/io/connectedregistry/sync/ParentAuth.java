package io.connectedregistry.sync;

import io.vertx.core.Future;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpClient;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.RequestOptions;
import io.vertx.core.json.JsonObject;
import java.net.URI;
import java.net.URISyntaxException;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Base64;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Authentication to the parent, learned from its challenges: after a {@code Basic} challenge the
 * credentials go with every request; after a {@code Bearer} challenge a token is fetched from the
 * realm (the Docker token flow), cached per scope until it expires, and sent up front with later
 * requests of that scope. Secrets are never logged and never part of an exception message.
 *
 * <p>The realm is whatever the challenge names, so the credentials go only to a realm the
 * configuration trusts ({@link ParentEndpoint#mayReceiveCredentials}): the parent's own host and
 * port, or an https host of {@code parent.tokenRealms}. Any other realm fails the call with a 401
 * naming the realm's host, without contacting it: asking it anonymously instead would hand back a
 * token without the sync token's rights, and the failures that follow would blame the credentials
 * rather than the configuration. Without credentials there is nothing to leak, and any realm is
 * asked anonymously.
 */
final class ParentAuth {
  /** The token spec's default lifetime when the token server does not say. */
  private static final Duration DEFAULT_TOKEN_LIFETIME = Duration.ofSeconds(60);
  /**
   * Token responses are a JWT or two (access and refresh token) of a few KiB in a small JSON
   * object; Docker Hub's are about 2 KiB. 64 KiB leaves room for fat tokens and bounds the rest.
   */
  static final long MAX_TOKEN_RESPONSE_BYTES = 64 * 1024;

  private final HttpClient client;
  private final ParentEndpoint endpoint;
  private volatile boolean basic;
  private volatile boolean bearer;
  private final Map<String, CachedToken> tokens = new ConcurrentHashMap<>();

  private record CachedToken(String header, long expiresAtNanos) {
    boolean fresh() {
      return System.nanoTime() - expiresAtNanos < 0;
    }
  }

  ParentAuth(HttpClient client, ParentEndpoint endpoint) {
    this.client = client;
    this.endpoint = endpoint;
  }

  /** The Authorization header to send before any challenge, or null. */
  String headerFor(String scope) {
    if (basic) {
      return basicHeader();
    }
    if (bearer) {
      CachedToken token = tokens.get(key(scope));
      if (token != null && token.fresh()) {
        return token.header();
      }
    }
    return null;
  }

  /**
   * The header to send again with after a 401 whose request carried {@code sent} (null if none).
   * Fails with a {@link ParentStatusException} (401) when the challenge cannot be answered.
   */
  Future<String> answer(AuthChallenge challenge, ParentRequest request, String sent) {
    if (challenge != null && challenge.basic() && endpoint.hasCredentials() && !basicHeader().equals(sent)) {
      basic = true;
      return Future.succeededFuture(basicHeader());
    }
    if (challenge != null && challenge.bearer() && challenge.realm() != null) {
      bearer = true;
      String scope = challenge.scope() != null ? challenge.scope() : request.scope();
      // A token that was refused (revoked, or expired early) is dropped; the new one replaces it.
      tokens.remove(key(request.scope()));
      return fetchToken(challenge, request, scope).map(token -> {
        tokens.put(key(request.scope()), token);
        return token.header();
      });
    }
    return Future.failedFuture(new ParentStatusException(request.method().name(), request.loggable(), 401,
        "UNAUTHORIZED", endpoint.hasCredentials() ? "the parent refused the credentials" : "the parent requires credentials"));
  }

  private Future<CachedToken> fetchToken(AuthChallenge challenge, ParentRequest request, String scope) {
    URI realm;
    try {
      realm = new URI(challenge.realm());
    } catch (URISyntaxException e) {
      realm = null;
    }
    if (realm == null || realm.getHost() == null
        || !("http".equalsIgnoreCase(realm.getScheme()) || "https".equalsIgnoreCase(realm.getScheme()))) {
      return Future.failedFuture(new ParentStatusException(request.method().name(), request.loggable(), 401,
          "UNAUTHORIZED", "the Bearer challenge's realm is not an http(s) URL"));
    }
    // Named without its path and query: only where the credentials would have gone.
    String realmHost = realm.getScheme().toLowerCase(Locale.ROOT) + "://" + ParentEndpoint.authorityOf(realm);
    if (endpoint.hasCredentials() && !endpoint.mayReceiveCredentials(realm)) {
      return Future.failedFuture(new ParentStatusException(request.method().name(), request.loggable(), 401,
          "UNAUTHORIZED", "the Bearer realm " + realmHost + " is neither the parent's own host and port nor an"
          + " https host in parent.tokenRealms; the sync credentials were not sent there"));
    }
    StringBuilder url = new StringBuilder(challenge.realm());
    char separator = challenge.realm().contains("?") ? '&' : '?';
    if (challenge.service() != null) {
      url.append(separator).append("service=").append(encode(challenge.service()));
      separator = '&';
    }
    if (scope != null) {
      url.append(separator).append("scope=").append(encode(scope));
    }
    RequestOptions options = new RequestOptions()
        .setMethod(HttpMethod.GET)
        .setAbsoluteURI(url.toString())
        .setConnectTimeout(endpoint.connectTimeout().toMillis())
        .setIdleTimeout(endpoint.idleTimeout().toMillis())
        // A redirect is not followed: it could lead the credentials anywhere.
        .setFollowRedirects(false);
    if (endpoint.hasCredentials()) {
      options.putHeader("Authorization", basicHeader());
    }
    String where = ParentRequest.withoutQuery(challenge.realm());
    long requestedAt = System.nanoTime();
    return client.request(options)
        .compose(r -> r.send())
        .compose(response -> {
          if (response.statusCode() != 200) {
            return BoundedBody.discard(response, ParentCaller.MAX_DISCARDED_BYTES).transform(d ->
                Future.failedFuture(new ParentStatusException("GET", where, response.statusCode(),
                    response.statusCode() == 401 ? "UNAUTHORIZED" : null, "token request refused")));
          }
          return BoundedBody.read(response, MAX_TOKEN_RESPONSE_BYTES, () -> new ParentStatusException("GET", where,
              200, null, "token response larger than " + MAX_TOKEN_RESPONSE_BYTES + " bytes; not read further"))
              .map(body -> token(where, body, requestedAt));
        });
  }

  private static CachedToken token(String where, Buffer body, long requestedAt) {
    String token;
    long lifetime;
    try {
      JsonObject json = new JsonObject(body);
      token = json.getString("token", json.getString("access_token"));
      lifetime = json.getLong("expires_in", DEFAULT_TOKEN_LIFETIME.toSeconds());
    } catch (RuntimeException malformed) {
      throw new ParentStatusException("GET", where, 200, null, "token response is not the expected JSON");
    }
    if (token == null || token.isEmpty()) {
      throw new ParentStatusException("GET", where, 200, null, "token response has no token");
    }
    // Stop using a token a little before it expires, so that it does not expire in flight. A day
    // at most: a parent's expires_in near Long.MAX_VALUE would overflow the arithmetic.
    Duration life = Duration.ofSeconds(Math.max(0, Math.min(lifetime, Duration.ofDays(1).toSeconds())));
    long usable = life.toNanos() - Math.min(Duration.ofSeconds(10).toNanos(), life.toNanos() / 10);
    return new CachedToken("Bearer " + token, requestedAt + usable);
  }

  private String basicHeader() {
    String pair = endpoint.username() + ":" + endpoint.password();
    return "Basic " + Base64.getEncoder().encodeToString(pair.getBytes(StandardCharsets.UTF_8));
  }

  private static String key(String scope) {
    return scope == null ? "" : scope;
  }

  private static String encode(String value) {
    return URLEncoder.encode(value, StandardCharsets.UTF_8);
  }
}
