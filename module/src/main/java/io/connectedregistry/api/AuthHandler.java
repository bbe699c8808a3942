package io.connectedregistry.api;

import io.connectedregistry.auth.AccessControl;
import io.connectedregistry.auth.Action;
import io.connectedregistry.auth.LoginException;
import io.connectedregistry.auth.Principal;
import io.connectedregistry.auth.Scope;
import io.connectedregistry.oci.ErrorCode;
import io.vertx.core.Handler;
import io.vertx.core.http.HttpHeaders;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.ext.web.RoutingContext;
import java.util.EnumSet;
import java.util.Optional;
import java.util.Set;

/**
 * The route → auth step of every request: resolves the caller ({@link AccessControl}) and checks
 * the action the route needs before the handler runs.
 *
 * <p>A caller without the action gets 401 with a Bearer challenge when logging in (again, or with
 * a wider scope) could help: anonymous, bad credentials, or a Bearer token issued for fewer scopes
 * than its token holds. A caller whose token simply lacks the action gets 403 {@code DENIED}.
 *
 * <p>Known credentials are checked on the event loop from memory; new ones go to the small
 * {@code registry-auth} pool (PBKDF2 is slow on purpose) through the bounded {@link LoginQueue},
 * with the request paused meanwhile so no body byte is lost. Failed logins are throttled per
 * client address, as seen through trusted proxies ({@link ClientAddress}).
 */
final class AuthHandler {
  private static final String PRINCIPAL = "registry.principal";

  private final AccessControl access;
  private final LoginQueue logins;
  private final ClientAddress clients;

  /** The registry's mode now (it can change while the registry runs). */
  io.connectedregistry.config.RegistryConfig.Mode mode() {
    return access.store().mode();
  }

  AuthHandler(AccessControl access, LoginQueue logins, ClientAddress clients) {
    this.access = access;
    this.logins = logins;
    this.clients = clients;
  }

  /** The caller of a request that passed one of this class's handlers. */
  static Principal principal(RoutingContext ctx) {
    return ctx.get(PRINCIPAL);
  }

  /** {@code action} on the repository of the route's {@code name}. */
  Handler<RoutingContext> require(Action action) {
    return ctx -> resolve(ctx, principal -> {
      String repository = Paths.repository(ctx);
      if (principal.allowed(repository).contains(action)) {
        ctx.next();
        return;
      }
      Set<Action> scope = action.isRead() ? EnumSet.of(Action.CONTENT_READ)
          : EnumSet.of(Action.CONTENT_READ, action);
      if (principal instanceof Principal.Anonymous) {
        challenge(ctx, Scope.challenge(repository, scope), null,
            "authentication required to " + action + " " + repository);
      } else if (principal.obtainable(repository).contains(action)) {
        challenge(ctx, Scope.challenge(repository, scope), "insufficient_scope",
            "the Bearer token does not grant " + action + " on " + repository);
      } else {
        ctx.fail(ErrorCode.DENIED.exception(
            "token '" + principal.displayName() + "' may not " + action + " " + repository));
      }
    });
  }

  /** {@code GET /v2/_catalog}: any caller who may list (the list itself is filtered). */
  Handler<RoutingContext> catalog() {
    return ctx -> resolve(ctx, principal -> {
      if (principal.mayListCatalog()) {
        ctx.next();
      } else if (principal instanceof Principal.Bearer) {
        challenge(ctx, "registry:catalog:*", "insufficient_scope",
            "the Bearer token does not grant the catalog");
      } else {
        challenge(ctx, "registry:catalog:*", null, "authentication required to list repositories");
      }
    });
  }

  /**
   * {@code GET /v2/}: the challenge for every anonymous caller unless anonymous callers may do
   * everything. Clients decide from this ping whether to log in at all: answering 200 to an
   * anonymous ping where anonymous may only pull would make skopeo and docker push without their
   * credentials. Anonymous pulls still work: the client fetches an anonymous Bearer token.
   */
  Handler<RoutingContext> base() {
    return ctx -> resolve(ctx, principal -> {
      if (principal instanceof Principal.Anonymous anonymous
          && !anonymous.actions().containsAll(Action.repositoryActions())) {
        challenge(ctx, null, null, "authentication required");
      } else {
        ctx.next();
      }
    });
  }

  /**
   * Endpoints that filter what they answer by the caller (the change feed): any token, or an
   * anonymous caller where anonymous callers may read.
   */
  Handler<RoutingContext> reader() {
    return ctx -> resolve(ctx, principal -> {
      if (principal instanceof Principal.Anonymous anonymous
          && !anonymous.actions().contains(Action.CONTENT_READ)) {
        challenge(ctx, null, null, "authentication required");
      } else {
        ctx.next();
      }
    });
  }

  /** Operator actions (start a sync now): an admin token, or anyone where anonymous may do everything. */
  Handler<RoutingContext> operator() {
    return ctx -> resolve(ctx, principal -> {
      if (access.isOperator(principal)) {
        ctx.next();
      } else {
        refuseNonAdmin(ctx, principal);
      }
    });
  }

  /**
   * The control plane children call ({@code /_connected/v1/registries/NAME/...}): Basic
   * credentials of a token whose scope map grants one of {@code actions} on {@code gateway/NAME}.
   * A sync token holds them on its own registry and its descendants, so a child can neither read
   * nor write another branch of the tree (403). Without credentials, or with a Bearer token, 401
   * with a Basic challenge.
   */
  Handler<RoutingContext> gateway(Action... actions) {
    return ctx -> resolve(ctx, principal -> {
      String name = ControlPlaneHandler.name(ctx);
      if (name != null) {
        for (Action action : actions) {
          if (principal.allowsGateway(name, action)) {
            ctx.next();
            return;
          }
        }
      }
      if (principal instanceof Principal.Basic) {
        ctx.fail(ErrorCode.DENIED.exception("token '" + principal.displayName() + "' may not "
            + actions[0] + " connected registry '" + (name == null ? "?" : name) + "'"));
        return;
      }
      ctx.response().putHeader("WWW-Authenticate", "Basic realm=\"connected-registry gateway\"");
      ctx.fail(ErrorCode.UNAUTHORIZED.exception(
          "the connected-registry API takes a sync token's name and password (Basic)"));
    });
  }

  /** The admin API: Basic credentials of a token named in {@code auth.adminTokens}. */
  Handler<RoutingContext> admin() {
    return ctx -> resolve(ctx, principal -> {
      if (access.isAdmin(principal)) {
        ctx.next();
      } else {
        refuseNonAdmin(ctx, principal);
      }
    });
  }

  /**
   * The status page: any caller, anonymous included (the page shows each caller what it may
   * read). Credentials that do not log in get the admin Basic challenge rather than the Bearer
   * one, so a browser asks again instead of sending stale credentials for ever.
   */
  Handler<RoutingContext> viewer() {
    return ctx -> resolve(ctx, principal -> ctx.next(), e -> {
      if (e.kind() == LoginException.Kind.THROTTLED) {
        refuse(ctx, e);
      } else {
        adminChallenge(ctx, "invalid credentials");
      }
    });
  }

  /**
   * 401 with a Basic challenge when an admin's password could help (no credentials, or a Bearer
   * token, which never carries admin rights); 403 for a token that is not an admin token.
   */
  private static void refuseNonAdmin(RoutingContext ctx, Principal principal) {
    if (principal instanceof Principal.Basic) {
      ctx.fail(ErrorCode.DENIED.exception(
          "token '" + principal.displayName() + "' is not an admin token (auth.adminTokens)"));
      return;
    }
    adminChallenge(ctx, principal instanceof Principal.Bearer
        ? "operator calls take an admin token's name and password (Basic), not a Bearer token"
        : "operator calls need an admin token's credentials");
  }

  /** 401 with the Basic challenge of the admin realm: a browser then asks for a name and password. */
  static void adminChallenge(RoutingContext ctx, String detail) {
    ctx.response().putHeader("WWW-Authenticate", "Basic realm=\"connected-registry admin\"");
    ctx.fail(ErrorCode.UNAUTHORIZED.exception(detail));
  }

  private interface Decision {
    void decide(Principal principal);
  }

  private void resolve(RoutingContext ctx, Decision decision) {
    resolve(ctx, decision, e -> refuse(ctx, e));
  }

  private void resolve(RoutingContext ctx, Decision decision, java.util.function.Consumer<LoginException> refusal) {
    String authorization = ctx.request().getHeader(HttpHeaders.AUTHORIZATION);
    Optional<Principal> known;
    try {
      known = access.cached(authorization);
    } catch (LoginException e) {
      refusal.accept(e);
      return;
    }
    if (known.isPresent()) {
      decide(ctx, known.get(), decision);
      return;
    }
    HttpServerRequest request = ctx.request();
    // Handlers that read a body pause the request first thing; until they run, it waits here.
    boolean hasBody = request.method() == HttpMethod.POST || request.method() == HttpMethod.PUT
        || request.method() == HttpMethod.PATCH;
    request.pause();
    String address = clients.of(request);
    logins.submit(() -> access.resolve(authorization, address))
        .onComplete(result -> {
          if (!hasBody) {
            request.resume();
          }
          if (result.succeeded()) {
            decide(ctx, result.result(), decision);
          } else if (result.cause() instanceof LoginException e) {
            refusal.accept(e);
          } else if (result.cause() instanceof LoginQueue.Full) {
            LoginQueue.refuse(ctx);
          } else {
            ctx.fail(result.cause());
          }
        });
  }

  private static void decide(RoutingContext ctx, Principal principal, Decision decision) {
    ctx.put(PRINCIPAL, principal);
    try {
      decision.decide(principal);
    } catch (RuntimeException e) {
      ctx.fail(e);
    }
  }

  private void refuse(RoutingContext ctx, LoginException e) {
    switch (e.kind()) {
      case THROTTLED -> {
        ctx.response().putHeader("Retry-After",
            String.valueOf(access.throttle().retryAfter().toSeconds()));
        ctx.fail(ErrorCode.TOOMANYREQUESTS.exception("too many failed logins; try again later"));
      }
      case INVALID_TOKEN -> challenge(ctx, null, "invalid_token",
          "the Bearer token is invalid or expired; log in again");
      case UNAUTHENTICATED -> challenge(ctx, null, null, "invalid credentials");
    }
  }

  /** 401 with {@code WWW-Authenticate: Bearer realm=..,service=..[,scope=..][,error=..]}. */
  static void challenge(RoutingContext ctx, String scope, String error, String detail) {
    String host = host(ctx);
    StringBuilder header = new StringBuilder("Bearer realm=\"")
        .append(scheme(ctx)).append("://").append(host).append("/oauth2/token\",service=\"")
        .append(host).append('"');
    if (scope != null) {
      header.append(",scope=\"").append(scope).append('"');
    }
    if (error != null) {
      header.append(",error=\"").append(error).append('"');
    }
    ctx.response().putHeader("WWW-Authenticate", header.toString());
    ctx.fail(ErrorCode.UNAUTHORIZED.exception(detail));
  }

  /** The service name: the host (and port) clients use to reach us. */
  static String host(RoutingContext ctx) {
    String host = ctx.request().getHeader(HttpHeaders.HOST);
    if (host == null || host.isBlank() || host.indexOf('"') >= 0 || host.indexOf(',') >= 0) {
      host = ctx.request().localAddress().hostAddress() + ":" + ctx.request().localAddress().port();
    }
    return host;
  }

  private static String scheme(RoutingContext ctx) {
    // Behind a TLS-terminating proxy (the IoT Edge API proxy) the client's scheme is the proxy's.
    String forwarded = ctx.request().getHeader("X-Forwarded-Proto");
    if ("https".equals(forwarded) || "http".equals(forwarded)) {
      return forwarded;
    }
    return ctx.request().isSSL() ? "https" : "http";
  }

  /** The client's address, through trusted proxies ({@link ClientAddress}). */
  String clientAddress(HttpServerRequest request) {
    return clients.of(request);
  }
}
