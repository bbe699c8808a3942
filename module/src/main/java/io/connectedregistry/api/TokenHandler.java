package io.connectedregistry.api;

import io.connectedregistry.auth.AccessControl;
import io.connectedregistry.auth.LoginException;
import io.connectedregistry.auth.Principal;
import io.connectedregistry.auth.Scope;
import io.connectedregistry.auth.TokenService;
import io.connectedregistry.oci.ErrorCode;
import io.netty.handler.codec.http.QueryStringDecoder;
import io.vertx.core.Future;
import io.vertx.core.http.HttpHeaders;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.RoutingContext;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;

/**
 * The Docker token endpoint, {@code /oauth2/token}.
 *
 * <ul>
 *   <li>{@code GET ?service=&scope=[&offline_token=true]} with Basic credentials (or none, where
 *       anonymous access is on): {@code {"token","access_token","expires_in","issued_at"}}, plus
 *       {@code refresh_token} when asked for.
 *   <li>{@code POST} (form): {@code grant_type=password} (username, password) or
 *       {@code grant_type=refresh_token}; {@code access_type=offline} asks for a refresh token.
 * </ul>
 *
 * A token grants the intersection of the requested scopes and the token's scope map; asking for
 * more than allowed is not an error (the registry then answers 401/403 for what is missing).
 */
final class TokenHandler {
  private static final int FORM_LIMIT = 64 * 1024;

  private final AccessControl access;
  private final LoginQueue logins;
  private final AuthHandler auth;

  TokenHandler(AccessControl access, LoginQueue logins, AuthHandler auth) {
    this.access = access;
    this.logins = logins;
    this.auth = auth;
  }

  void get(RoutingContext ctx) {
    String authorization = ctx.request().getHeader(HttpHeaders.AUTHORIZATION);
    String service = ctx.request().getParam("service");
    Scope.Request scopes = Scope.parse(ctx.request().params().getAll("scope"));
    boolean offline = "true".equals(ctx.request().getParam("offline_token"));
    String address = auth.clientAddress(ctx.request());
    if (authorization == null || authorization.isBlank()) {
      if (access.anonymous().actions().isEmpty()) {
        basicChallenge(ctx, "credentials required: log in with a token name and password");
        return;
      }
      answer(ctx, access.issue(access.anonymous(), scopes, service), null, false);
      return;
    }
    if (!AccessControl.isScheme(authorization, "Basic")) {
      basicChallenge(ctx, "the token endpoint takes Basic credentials");
      return;
    }
    logins.submit(() -> {
      String[] credentials = AccessControl.decodeBasic(authorization);
      Principal.Basic principal = access.login(credentials[0], credentials[1], address);
      return new Answer(access.issue(principal, scopes, service),
          offline ? access.issueRefresh(principal, service) : null);
    }).onComplete(result -> respond(ctx, result, false));
  }

  void post(RoutingContext ctx) {
    String address = auth.clientAddress(ctx.request());
    BodyReader.read(ctx.request(), FORM_LIMIT)
        .recover(e -> Future.failedFuture(ErrorCode.REQUEST_INVALID.exception(
            "the form is larger than " + FORM_LIMIT + " bytes")))
        .compose(body -> {
          Map<String, List<String>> form =
              new QueryStringDecoder(body.toString(StandardCharsets.UTF_8), false).parameters();
          String grant = first(form, "grant_type");
          String service = first(form, "service");
          Scope.Request scopes = Scope.parse(form.getOrDefault("scope", List.of()));
          boolean offline = "offline".equals(first(form, "access_type"));
          if ("password".equals(grant)) {
            String username = first(form, "username");
            String password = first(form, "password");
            return logins.submit(() -> {
              Principal.Basic principal = access.login(username, password, address);
              return new Answer(access.issue(principal, scopes, service),
                  offline ? access.issueRefresh(principal, service) : null);
            });
          }
          if ("refresh_token".equals(grant)) {
            String refreshToken = first(form, "refresh_token");
            return logins.submit(() -> {
              Principal principal = access.refresh(refreshToken, address);
              // The client keeps its refresh token; a new one is issued only when asked for.
              return new Answer(access.issue(principal, scopes, service), null);
            });
          }
          return Future.failedFuture(ErrorCode.REQUEST_INVALID.exception(
              "grant_type must be password or refresh_token"));
        })
        .onComplete(result -> respond(ctx, result, true));
  }

  private record Answer(TokenService.Issued access, TokenService.Issued refresh) {}

  private void respond(RoutingContext ctx, io.vertx.core.AsyncResult<Answer> result, boolean oauth) {
    if (result.succeeded()) {
      answer(ctx, result.result().access(), result.result().refresh(), oauth);
    } else if (result.cause() instanceof LoginException e) {
      if (e.kind() == LoginException.Kind.THROTTLED) {
        ctx.response().putHeader("Retry-After",
            String.valueOf(access.throttle().retryAfter().toSeconds()));
        ctx.fail(ErrorCode.TOOMANYREQUESTS.exception("too many failed logins; try again later"));
      } else {
        basicChallenge(ctx, "invalid credentials");
      }
    } else if (result.cause() instanceof LoginQueue.Full) {
      LoginQueue.refuse(ctx);
    } else {
      ctx.fail(result.cause());
    }
  }

  private static void answer(RoutingContext ctx, TokenService.Issued issued,
      TokenService.Issued refresh, boolean oauth) {
    JsonObject body = new JsonObject();
    if (!oauth) {
      body.put("token", issued.token());
    }
    body.put("access_token", issued.token())
        .put("expires_in", issued.expiresInSeconds())
        .put("issued_at", issued.issuedAt().toString());
    if (refresh != null) {
      body.put("refresh_token", refresh.token());
    }
    ctx.response()
        .putHeader("Content-Type", "application/json")
        .putHeader("Cache-Control", "no-store")
        .end(body.encode());
  }

  private static void basicChallenge(RoutingContext ctx, String detail) {
    ctx.response().putHeader("WWW-Authenticate", "Basic realm=\"connected-registry\"");
    ctx.fail(ErrorCode.UNAUTHORIZED.exception(detail));
  }

  private static String first(Map<String, List<String>> form, String key) {
    List<String> values = form.get(key);
    return values == null || values.isEmpty() ? null : values.get(0);
  }
}
