package io.connectedregistry.control;

import io.connectedregistry.control.ControlException.Kind;
import io.connectedregistry.sync.ParentCaller;
import io.connectedregistry.sync.ParentRequest;
import io.connectedregistry.sync.ParentStatusException;
import io.vertx.core.Future;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpClientResponse;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.util.Optional;

/**
 * The control-plane calls to the parent ({@link ControlPlane}'s routes), one method each, through
 * the one parent client ({@link ParentCaller}: Basic credentials of the sync token, retries of
 * GETs, circuit breaker). Bodies are bounded. A 404 means the parent serves no control plane (a
 * plain OCI registry), a 401/403 that it serves none to this token: {@link NotServed}.
 */
final class ParentControl {
  static final long MAX_DOCUMENT_BYTES = 4L * 1024 * 1024;
  private static final long MAX_ERROR_BYTES = 8 * 1024;

  /** The parent answered 404: it has no control plane (or does not know this registry). */
  static final class NotServed extends RuntimeException {
    NotServed(String detail) {
      super(detail);
    }
  }

  /** A document and its ETag. */
  record Fetched(String etag, JsonObject document) {}

  private final ParentCaller caller;

  ParentControl(ParentCaller caller) {
    this.caller = caller;
  }

  ParentCaller caller() {
    return caller;
  }

  private static String path(String name, String what) {
    return "/_connected/v1/registries/" + name + "/" + what;
  }

  Future<JsonObject> activate(String name, ControlRequests.Activate request) {
    ParentRequest r = ParentRequest.of(HttpMethod.POST, path(name, "activation"), null)
        .header("Content-Type", "application/json")
        .withBody(Buffer.buffer(request.toJson().encode()));
    return caller.call(r, response -> response.statusCode() == 200
        ? ParentCaller.json(r, response, MAX_ERROR_BYTES * 8) : refused(r, response));
  }

  Future<Void> report(String name, ControlRequests.Report report) {
    ParentRequest r = ParentRequest.of(HttpMethod.POST, path(name, "status"), null)
        .header("Content-Type", "application/json")
        .withBody(Buffer.buffer(report.toJson().encode()));
    return caller.call(r, response -> response.statusCode() == 204 || response.statusCode() == 200
        ? ParentCaller.discard(response) : refused(r, response));
  }

  /** Empty when the parent answered 304 (the caller has {@code etag}). */
  Future<Optional<Fetched>> fetch(String name, String what, String etag) {
    ParentRequest r = ParentRequest.of(HttpMethod.GET, path(name, what), null);
    if (etag != null) {
      r.header("If-None-Match", etag);
    }
    return caller.call(r, response -> {
      if (response.statusCode() == 304) {
        return ParentCaller.discard(response).map(v -> Optional.<Fetched>empty());
      }
      if (response.statusCode() != 200) {
        return refused(r, response);
      }
      String tag = response.getHeader("ETag");
      return ParentCaller.json(r, response, MAX_DOCUMENT_BYTES)
          .map(json -> Optional.of(new Fetched(tag, json)));
    });
  }

  /**
   * 404 → {@link NotServed}; 409 → a {@link ControlException} with the parent's detail (the
   * activation refusal names the registry and since when); others → {@link ParentStatusException}.
   */
  private static <T> Future<T> refused(ParentRequest r, HttpClientResponse response) {
    int status = response.statusCode();
    if (status == 401 || status == 403) {
      // Our registry, but this token has no gateway action on this name (a token made by hand,
      // not a definition's sync token): as if there were no control plane for us.
      return ParentCaller.discard(response).transform(x -> Future.failedFuture(new NotServed(
          "the parent refuses this sync token its control plane (" + status + ")")));
    }
    if (status != 404 && status != 409 && status != 400) {
      return ParentCaller.failure(r, response);
    }
    return ParentCaller.body(r, response, MAX_ERROR_BYTES, "TOOLARGE").transform(read -> {
      String detail = "the parent answered " + status;
      if (read.succeeded()) {
        try {
          JsonArray errors = new JsonObject(read.result()).getJsonArray("errors");
          String d = errors.getJsonObject(0).getString("detail");
          if (d != null) {
            detail = d.length() > 400 ? d.substring(0, 400) + "..." : d;
          }
        } catch (RuntimeException notJson) {
          // keep the status alone
        }
      }
      return Future.failedFuture(status == 404 ? new NotServed(detail)
          : status == 409 ? new ControlException(Kind.CONFLICT, detail)
          : new ParentStatusException(r.method().name(), r.loggable(), status, null, detail));
    });
  }
}
