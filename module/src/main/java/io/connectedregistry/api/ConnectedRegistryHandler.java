package io.connectedregistry.api;

import io.connectedregistry.auth.AccessControl;
import io.connectedregistry.control.ConnectedRegistries;
import io.connectedregistry.control.Requests;
import io.vertx.core.WorkerExecutor;
import io.vertx.core.json.Json;
import io.vertx.ext.web.RoutingContext;
import java.time.Clock;
import java.util.concurrent.Callable;

/**
 * The {@code cr} CLI over HTTP, under {@code /_connected/v1/admin/connected-registries} (routes in
 * {@link Routes}, behind the admin guard): the same {@link ConnectedRegistries} operations, bodies
 * in the shapes of {@link Requests}, answers in the CLI's JSON, errors in the registry's one shape.
 *
 * <pre>
 * GET    connected-registries[?parent=P&amp;noChildren=true]   list
 * POST   connected-registries                       Requests.Create → 201 the definition
 * GET    connected-registries/NAME                  show
 * PATCH  connected-registries/NAME                  Requests.Update
 * DELETE connected-registries/NAME[?cleanup=true]   → 200 what was removed / what stays
 * POST   connected-registries/NAME/deactivate
 * GET    connected-registries/NAME/client-tokens
 * POST   connected-registries/NAME/settings         Requests.Settings → the connection string
 * GET    connected-registries/NAME/permissions
 * PATCH  connected-registries/NAME/repositories     Requests.RepositoryChange (repo / permissions update)
 * </pre>
 */
final class ConnectedRegistryHandler {
  private final AccessControl access;
  private final ConnectedRegistries registries;
  private final WorkerExecutor worker;

  ConnectedRegistryHandler(AccessControl access, WorkerExecutor worker,
      ConnectedRegistries.Site site) {
    this.access = access;
    this.registries = new ConnectedRegistries(access.store(), site, Clock.systemUTC());
    this.worker = worker;
  }

  void list(RoutingContext ctx) {
    String parent = ctx.queryParams().get("parent");
    boolean noChildren = "true".equals(ctx.queryParams().get("noChildren"));
    answer(ctx, 200, () -> registries.list(parent, noChildren));
  }

  void create(RoutingContext ctx) {
    AdminHandler.withBody(ctx, body -> {
      Requests.Create request = Requests.Create.fromJson(body.getMap());
      answer(ctx, 201, () -> registries.create(request));
    });
  }

  void show(RoutingContext ctx) {
    answer(ctx, 200, () -> registries.show(name(ctx)));
  }

  void update(RoutingContext ctx) {
    AdminHandler.withBody(ctx, body -> {
      Requests.Update request = Requests.Update.fromJson(body.getMap());
      answer(ctx, 200, () -> registries.update(name(ctx), request));
    });
  }

  void delete(RoutingContext ctx) {
    boolean cleanup = "true".equals(ctx.queryParams().get("cleanup"));
    answer(ctx, 200, () -> registries.delete(name(ctx), cleanup));
  }

  void deactivate(RoutingContext ctx) {
    answer(ctx, 200, () -> registries.deactivate(name(ctx)));
  }

  void clientTokens(RoutingContext ctx) {
    answer(ctx, 200, () -> registries.listClientTokens(name(ctx)));
  }

  void settings(RoutingContext ctx) {
    AdminHandler.withBody(ctx, body -> {
      Requests.Settings request = Requests.Settings.fromJson(body.getMap());
      answer(ctx, 200, () -> registries.settings(name(ctx), request));
    });
  }

  void permissions(RoutingContext ctx) {
    answer(ctx, 200, () -> registries.permissions(name(ctx)));
  }

  void repositories(RoutingContext ctx) {
    AdminHandler.withBody(ctx, body -> {
      Requests.RepositoryChange request = Requests.RepositoryChange.fromJson(body.getMap());
      answer(ctx, 200, () -> registries.updateRepositories(name(ctx), request));
    });
  }

  private static String name(RoutingContext ctx) {
    return ctx.pathParam("name");
  }

  /** Runs {@code work} on the auth worker and answers its result as JSON. */
  private void answer(RoutingContext ctx, int status, Callable<Object> work) {
    worker.executeBlocking(() -> {
      Object result = work.call();
      // Tokens and scope maps may have changed with the definition: effective at once here.
      access.checkForChanges();
      return result;
    }, false).onSuccess(result -> ctx.response().setStatusCode(status)
        .putHeader("Cache-Control", "no-store")
        .putHeader("Content-Type", "application/json")
        .end(Json.encode(result)))
        .onFailure(e -> ctx.fail(AdminHandler.translate(e)));
  }
}
