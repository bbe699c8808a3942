package io.connectedregistry.api;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.json.JsonMapper;
import io.connectedregistry.config.ConfigControl;
import io.connectedregistry.config.ConfigException;
import io.connectedregistry.oci.ErrorCode;
import io.vertx.core.WorkerExecutor;
import io.vertx.core.json.Json;
import io.vertx.ext.web.RoutingContext;
import java.io.IOException;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.Callable;

/**
 * {@code GET /_connected/v1/config}: every key's effective value and where it came from (secrets
 * as {@code ***}). {@code PUT /_connected/v1/config}: a JSON document in the file's schema becomes
 * the managed layer; the answer lists what was applied, what needs a restart and what was refused.
 * Both behind the admin guard (Basic credentials of an {@code auth.adminTokens} token).
 */
final class ConfigHandler {
  private static final int BODY_LIMIT = 64 * 1024;
  /**
   * Made on first use: a first {@code ObjectMapper} loads ~370 Jackson classes, which stay loaded
   * for good in a registry that may never need them (bench/README.md, issue #13).
   */
  private static final class Mapper {
    static final JsonMapper STRICT =
        JsonMapper.builder().enable(JsonParser.Feature.STRICT_DUPLICATE_DETECTION).build();
  }

  private final ConfigControl control;
  private final WorkerExecutor worker;

  /** @param control null when the process was started without live configuration (tests of parts) */
  ConfigHandler(ConfigControl control, WorkerExecutor worker) {
    this.control = control;
    this.worker = worker;
  }

  void show(RoutingContext ctx) {
    if (unavailable(ctx)) {
      return;
    }
    answer(ctx, () -> {
      Map<String, Object> keys = new LinkedHashMap<>();
      control.effective().forEach((key, entry) -> {
        Map<String, Object> view = new LinkedHashMap<>();
        view.put("value", entry.value());
        view.put("source", entry.source());
        if (entry.pending() != null) {
          view.put("pendingRestart", entry.pending());
        }
        keys.put(key, view);
      });
      return Map.of("keys", keys);
    });
  }

  void replace(RoutingContext ctx) {
    if (unavailable(ctx)) {
      return;
    }
    ctx.request().pause();
    BodyReader.read(ctx, BODY_LIMIT)
        .recover(e -> io.vertx.core.Future.failedFuture(BodyReader.isTooLarge(e)
            ? ErrorCode.REQUEST_INVALID.exception("the body is larger than " + BODY_LIMIT + " bytes") : e))
        .onSuccess(buffer -> {
          JsonNode document;
          try {
            document = Mapper.STRICT.readTree(buffer.getBytes());
          } catch (IOException e) {
            ctx.fail(ErrorCode.REQUEST_INVALID.exception("the body is not a JSON document"));
            return;
          }
          if (document == null || !document.isObject()) {
            ctx.fail(ErrorCode.REQUEST_INVALID.exception("the body is not a JSON object"));
            return;
          }
          answer(ctx, () -> {
            ConfigControl.Outcome outcome = control.setManaged(document);
            Map<String, Object> result = new LinkedHashMap<>();
            result.put("applied", outcome.applied());
            result.put("restartRequired", outcome.restartRequired());
            result.put("refused", outcome.refused());
            return result;
          });
        })
        .onFailure(ctx::fail);
  }

  private boolean unavailable(RoutingContext ctx) {
    if (control == null) {
      ctx.fail(ErrorCode.UNSUPPORTED.exception("live configuration is not available in this process"));
      return true;
    }
    return false;
  }

  /** On a worker: building a configuration rereads the file. */
  private void answer(RoutingContext ctx, Callable<Object> work) {
    worker.executeBlocking(work, false).onSuccess(result -> ctx.response()
        .putHeader("Cache-Control", "no-store")
        .putHeader("Content-Type", "application/json")
        .end(Json.encode(result)))
        .onFailure(e -> ctx.fail(e instanceof ConfigException bad
            // Every bad key, one per line of the detail; nothing was changed.
            ? ErrorCode.REQUEST_INVALID.exception("configuration refused, nothing changed: "
                + String.join("; ", bad.problems()))
            : e));
  }
}
