package io.connectedregistry.api;

import io.connectedregistry.auth.AccessControl;
import io.connectedregistry.auth.AuthAdministration;
import io.connectedregistry.auth.AuthStoreException;
import io.connectedregistry.auth.PasswordSlot;
import io.connectedregistry.auth.ScopeMapRule;
import io.connectedregistry.control.ControlException;
import io.connectedregistry.oci.ErrorCode;
import io.vertx.core.Future;
import io.vertx.core.WorkerExecutor;
import io.vertx.core.json.DecodeException;
import io.vertx.core.json.Json;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.RoutingContext;
import java.time.Clock;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;

/**
 * The admin API under {@code /_connected/v1/admin/} (routes in {@link Routes}): the {@code token}
 * and {@code scope-map} CLI over HTTP, for the control plane. Only Basic credentials of tokens named in
 * {@code auth.adminTokens} may call it (a Bearer token never does, see {@code AccessControl.isAdmin}).
 * Bodies and answers are JSON in the CLI's shapes; errors in the registry's one error shape.
 *
 * <pre>
 * GET    tokens                        list
 * POST   tokens                        {"name", "repositories":[{"repository","actions":[..]}] | "scopeMap", "expiry"?} → 201 {"name","password"}
 * GET    tokens/NAME                   show (with its rules)
 * PATCH  tokens/NAME                   {"status"?: "enabled|disabled", "scopeMap"?}
 * DELETE tokens/NAME
 * POST   tokens/NAME/passwords/1|2     {"expiry"?} → {"name","slot","password"}: a new password
 * DELETE tokens/NAME/passwords/1|2
 * GET    scope-maps                    list
 * POST   scope-maps                    {"name", "description"?, "rules":[{"repository","actions":[..]}]} → 201
 * GET    scope-maps/NAME
 * PATCH  scope-maps/NAME               {"description"?, "rules"?}
 * DELETE scope-maps/NAME
 * </pre>
 *
 * <p>{@code connected-registries/...}: {@link ConnectedRegistryHandler}, behind the same guard.
 */
final class AdminHandler {
  private static final int BODY_LIMIT = 1024 * 1024;

  private final AccessControl access;
  private final AuthAdministration admin;
  private final WorkerExecutor worker;

  AdminHandler(AccessControl access, WorkerExecutor worker) {
    this.access = access;
    this.admin = new AuthAdministration(access.store(), Clock.systemUTC());
    this.worker = worker;
  }

  void listTokens(RoutingContext ctx) {
    answer(ctx, 200, admin::listTokens);
  }

  void createToken(RoutingContext ctx) {
    withBody(ctx, body -> answer(ctx, 201, () ->
        admin.createToken(required(body, "name"), optionalRules(body, "repositories"),
            string(body, "scopeMap"), admin.expiry("expiry", string(body, "expiry")))));
  }

  void showToken(RoutingContext ctx) {
    answer(ctx, 200, () -> admin.showToken(ctx.pathParam("name")));
  }

  void updateToken(RoutingContext ctx) {
    withBody(ctx, body -> answer(ctx, 200, () ->
        admin.updateToken(ctx.pathParam("name"),
            string(body, "status") == null ? null
                : AuthAdministration.status("status", string(body, "status")),
            string(body, "scopeMap"))));
  }

  void deleteToken(RoutingContext ctx) {
    answer(ctx, 204, () -> {
      admin.deleteToken(ctx.pathParam("name"));
      return null;
    });
  }

  void generatePassword(RoutingContext ctx) {
    withBody(ctx, body -> answer(ctx, 200, () -> admin.generatePassword(ctx.pathParam("name"),
        slot(ctx), admin.expiry("expiry", string(body, "expiry")))));
  }

  void deletePassword(RoutingContext ctx) {
    answer(ctx, 204, () -> {
      admin.deletePassword(ctx.pathParam("name"), slot(ctx));
      return null;
    });
  }

  void listScopeMaps(RoutingContext ctx) {
    answer(ctx, 200, admin::listScopeMaps);
  }

  void createScopeMap(RoutingContext ctx) {
    withBody(ctx, body -> answer(ctx, 201, () ->
        admin.createScopeMap(required(body, "name"), string(body, "description"),
            optionalRules(body, "rules"))));
  }

  void showScopeMap(RoutingContext ctx) {
    answer(ctx, 200, () -> admin.showScopeMap(ctx.pathParam("name")));
  }

  void updateScopeMap(RoutingContext ctx) {
    withBody(ctx, body -> answer(ctx, 200, () -> admin.updateScopeMap(ctx.pathParam("name"),
        string(body, "description"), optionalRules(body, "rules"))));
  }

  void deleteScopeMap(RoutingContext ctx) {
    answer(ctx, 204, () -> {
      admin.deleteScopeMap(ctx.pathParam("name"));
      return null;
    });
  }

  /** Anything else under the admin prefix, for an admin: named, so a typo is not a bare 404. */
  static void unknown(RoutingContext ctx) {
    ctx.fail(ErrorCode.RESOURCE_UNKNOWN.exception(
        "no admin operation " + ctx.request().method() + " " + ctx.request().path()
            + "; see the README's admin API routes"));
  }

  interface BodyConsumer {
    void accept(JsonObject body);
  }

  static void withBody(RoutingContext ctx, BodyConsumer consumer) {
    withBody(ctx, BODY_LIMIT, consumer);
  }

  static void withBody(RoutingContext ctx, int limit, BodyConsumer consumer) {
    ctx.request().pause();
    BodyReader.read(ctx, limit)
        .recover(e -> Future.failedFuture(BodyReader.isTooLarge(e) ? ErrorCode.REQUEST_INVALID
            .exception("the body is larger than " + limit + " bytes") : e))
        .onSuccess(buffer -> {
          JsonObject body;
          try {
            body = buffer.length() == 0 ? new JsonObject() : new JsonObject(buffer);
          } catch (DecodeException | ClassCastException e) {
            ctx.fail(ErrorCode.REQUEST_INVALID.exception("the body is not a JSON object"));
            return;
          }
          try {
            consumer.accept(body);
          } catch (RuntimeException e) {
            ctx.fail(translate(e));
          }
        })
        .onFailure(ctx::fail);
  }

  /** Runs {@code work} on the auth worker and answers its result as JSON. */
  private void answer(RoutingContext ctx, int status, Callable<Object> work) {
    worker.executeBlocking(() -> {
      Object result = work.call();
      // Effective at once in this process (other processes notice within a second anyway).
      access.checkForChanges();
      return result;
    }, false).onSuccess(result -> {
      ctx.response().setStatusCode(status).putHeader("Cache-Control", "no-store");
      if (result == null) {
        ctx.response().end();
      } else {
        ctx.response().putHeader("Content-Type", "application/json").end(Json.encode(result));
      }
    }).onFailure(e -> ctx.fail(translate(e)));
  }

  /** Refusals of the auth store and the control package to their error codes; others unchanged. */
  static Throwable translate(Throwable e) {
    if (e instanceof AuthStoreException store) {
      ErrorCode code = switch (store.kind()) {
        case NOT_FOUND -> ErrorCode.RESOURCE_UNKNOWN;
        case ALREADY_EXISTS, IN_USE -> ErrorCode.RESOURCE_CONFLICT;
        case LIMIT_EXCEEDED -> ErrorCode.LIMIT_EXCEEDED;
        case NOT_ALLOWED_IN_MODE -> ErrorCode.REQUEST_INVALID;
        case STORAGE -> null;
      };
      return code == null ? e : code.exception(store.getMessage());
    }
    if (e instanceof ControlException control) {
      ErrorCode code = switch (control.kind()) {
        case NOT_FOUND -> ErrorCode.RESOURCE_UNKNOWN;
        case CONFLICT -> ErrorCode.RESOURCE_CONFLICT;
        case INVALID -> ErrorCode.REQUEST_INVALID;
        case LIMIT_EXCEEDED -> ErrorCode.LIMIT_EXCEEDED;
      };
      return code.exception(control.getMessage());
    }
    if (e instanceof IllegalArgumentException) {
      return ErrorCode.REQUEST_INVALID.exception(e.getMessage());
    }
    return e;
  }

  private static String required(JsonObject body, String key) {
    String value = string(body, key);
    if (value == null || value.isBlank()) {
      throw new IllegalArgumentException("'" + key + "' is required");
    }
    return value;
  }

  private static PasswordSlot slot(RoutingContext ctx) {
    try {
      return PasswordSlot.of(Integer.parseInt(ctx.pathParam("slot")));
    } catch (NumberFormatException e) {
      throw new IllegalArgumentException("password slot must be 1 or 2");
    }
  }

  /** {@code [{"repository":"app/*","actions":["content/read"]}]}, or null when absent. */
  private static List<ScopeMapRule> optionalRules(JsonObject body, String key) {
    Object value = body.getValue(key);
    if (value == null) {
      return null;
    }
    if (!(value instanceof JsonArray array)) {
      throw new IllegalArgumentException("'" + key + "' must be a list of"
          + " {\"repository\": PATTERN, \"actions\": [ACTION, ...]}");
    }
    List<ScopeMapRule> rules = new ArrayList<>();
    for (int i = 0; i < array.size(); i++) {
      String where = key + "[" + i + "]";
      if (!(array.getValue(i) instanceof JsonObject rule)) {
        throw new IllegalArgumentException("'" + where + "' must be {\"repository\": PATTERN,"
            + " \"actions\": [ACTION, ...]}");
      }
      String repository = string(rule, "repository", where + ".repository");
      if (repository == null || !(rule.getValue("actions") instanceof JsonArray actions)) {
        throw new IllegalArgumentException("'" + where + "' needs 'repository' (text) and"
            + " 'actions' (a list)");
      }
      List<String> names = new ArrayList<>();
      for (Object action : actions) {
        if (!(action instanceof String name)) {
          throw new IllegalArgumentException("'" + where + ".actions' must hold action names");
        }
        names.add(name);
      }
      rules.add(AuthAdministration.rule(repository, names));
    }
    return rules;
  }

  /** A text field, null when absent; another JSON type is refused naming the field. */
  private static String string(JsonObject body, String key, String where) {
    Object value = body.getValue(key);
    if (value != null && !(value instanceof String)) {
      throw new IllegalArgumentException("'" + where + "' must be text");
    }
    return (String) value;
  }

  private static String string(JsonObject body, String key) {
    return string(body, key, key);
  }
}
