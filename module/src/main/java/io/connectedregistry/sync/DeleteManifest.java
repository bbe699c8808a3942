package io.connectedregistry.sync;

import io.vertx.core.Future;
import io.vertx.core.http.HttpMethod;

/**
 * {@code DELETE /v2/<name>/manifests/<ref>}: by tag removes the tag, by digest the manifest (and
 * its tags). True when the parent deleted it, false when it had nothing by that reference (404).
 */
final class DeleteManifest {
  private final ParentCaller caller;

  DeleteManifest(ParentCaller caller) {
    this.caller = caller;
  }

  Future<Boolean> delete(String repository, String reference) {
    ParentRequest request = ParentRequest.of(HttpMethod.DELETE, "/v2/" + repository + "/manifests/" + reference,
        Scopes.delete(repository));
    return caller.call(request, response -> {
      int status = response.statusCode();
      if (status == 202 || status == 200 || status == 204 || status == 404) {
        return ParentCaller.discard(response).map(v -> status != 404);
      }
      return ParentCaller.failure(request, response);
    });
  }
}
