package io.connectedregistry.control;

import io.vertx.core.Future;
import io.vertx.core.WorkerExecutor;
import io.vertx.core.json.JsonObject;
import java.util.Map;

/** The control plane at the root: the definitions themselves, read and written on a worker. */
public final class RootControlPlane implements ControlPlane {
  private final ConnectedRegistries registries;
  private final WorkerExecutor worker;

  public RootControlPlane(ConnectedRegistries registries, WorkerExecutor worker) {
    this.registries = registries;
    this.worker = worker;
  }

  @Override
  public Future<Answer> activate(String name, ControlRequests.Activate request) {
    return worker.executeBlocking(() -> new Answer(200, null, registries.activate(name, request)),
        false);
  }

  @Override
  public Future<Answer> definition(String name, String ifNoneMatch) {
    return worker.executeBlocking(() -> {
      Map<String, Object> document = registries.definitionDocument(name);
      return ControlPlane.conditional("\"" + document.get("definitionVersion") + "\"",
          ifNoneMatch, document);
    }, false);
  }

  @Override
  public Future<Answer> tokens(String name, String ifNoneMatch) {
    return worker.executeBlocking(() -> {
      JsonObject document = registries.tokensDocument(name);
      return ControlPlane.conditional(TokenDocument.etag(document), ifNoneMatch, document);
    }, false);
  }

  @Override
  public Future<Answer> report(String name, ControlRequests.Report report) {
    return worker.executeBlocking(() -> {
      registries.report(name, report);
      return new Answer(204, null, null);
    }, false);
  }
}
