package io.connectedregistry.sync;

import io.connectedregistry.oci.Digest;
import io.vertx.core.Future;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpMethod;

/**
 * {@code PUT /v2/<name>/manifests/<ref>}: stores a manifest at the parent, by digest or under a
 * tag. Never retried here (not idempotent by the caller's rule); the upstream queue repeats the
 * whole entry, which is harmless: the same bytes give the same digest.
 */
final class PutManifest {
  private final ParentCaller caller;

  PutManifest(ParentCaller caller) {
    this.caller = caller;
  }

  /** @param reference a tag or the manifest's digest */
  Future<Digest> put(String repository, String reference, String mediaType, byte[] bytes) {
    ParentRequest request = ParentRequest.of(HttpMethod.PUT, "/v2/" + repository + "/manifests/" + reference,
            Scopes.push(repository))
        .header("Content-Type", mediaType)
        .header("Content-Length", Integer.toString(bytes.length))
        .withBody(Buffer.buffer(bytes));
    return caller.call(request, response -> {
      if (response.statusCode() != 201) {
        return ParentCaller.failure(request, response);
      }
      String stored = response.getHeader("Docker-Content-Digest");
      return ParentCaller.discard(response).map(v -> stored == null ? null : Digest.parse(stored));
    });
  }
}
