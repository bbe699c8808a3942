package io.connectedregistry.sync;

import io.vertx.core.Future;
import io.vertx.core.http.HttpMethod;

/** {@code POST /v2/<name>/blobs/uploads/}: opens an upload at the parent. Never retried (not idempotent). */
public final class StartUpload {
  private final ParentCaller caller;

  public StartUpload(ParentCaller caller) {
    this.caller = caller;
  }

  public Future<UploadLocation> start(String repository) {
    ParentRequest request = ParentRequest.of(HttpMethod.POST, "/v2/" + repository + "/blobs/uploads/",
        Scopes.push(repository)).header("Content-Length", "0");
    return caller.call(request, response -> response.statusCode() == 202
        ? UploadResponses.location(caller, request, response, true)
        : ParentCaller.failure(request, response));
  }
}
