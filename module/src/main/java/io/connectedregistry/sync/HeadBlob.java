package io.connectedregistry.sync;

import io.connectedregistry.oci.Digest;
import io.vertx.core.Future;
import io.vertx.core.http.HttpMethod;

/**
 * {@code HEAD /v2/<name>/blobs/<digest>}: whether the parent's repository holds a blob, under the
 * sync token's rights. On-demand pull-through asks it before serving a blob that the local
 * repository does not hold, so a read never reaches content that only another repository has.
 */
final class HeadBlob {
  private final ParentCaller caller;

  HeadBlob(ParentCaller caller) {
    this.caller = caller;
  }

  /** True on a 200, false on a 404; anything else fails with a {@link ParentStatusException}. */
  Future<Boolean> exists(String repository, Digest digest) {
    ParentRequest request = ParentRequest.of(HttpMethod.HEAD, "/v2/" + repository + "/blobs/" + digest,
        Scopes.pull(repository));
    return caller.call(request, response -> {
      int status = response.statusCode();
      if (status == 200 || status == 404) {
        return ParentCaller.discard(response).map(v -> status == 200);
      }
      return ParentCaller.failure(request, response);
    });
  }
}
