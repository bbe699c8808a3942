package io.connectedregistry.sync;

import io.connectedregistry.oci.Digest;
import io.vertx.core.Future;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpMethod;

/** {@code PUT <location>?digest=..}: completes an upload at the parent (optionally with a last chunk). */
public final class PutUpload {
  private final ParentCaller caller;

  public PutUpload(ParentCaller caller) {
    this.caller = caller;
  }

  /** @param lastChunk bytes not yet sent, or an empty buffer */
  public Future<Digest> complete(String repository, UploadLocation upload, Digest digest, Buffer lastChunk) {
    ParentRequest request = ParentRequest.of(HttpMethod.PUT,
            UploadResponses.withParameter(upload.url(), "digest", digest.toString()), Scopes.push(repository))
        .header("Content-Type", "application/octet-stream")
        .header("Content-Length", Integer.toString(lastChunk.length()))
        .withBody(lastChunk);
    return caller.call(request, response -> {
      if (response.statusCode() != 201) {
        return ParentCaller.failure(request, response);
      }
      String stored = response.getHeader("Docker-Content-Digest");
      return ParentCaller.discard(response).map(v -> stored == null ? digest : Digest.parse(stored));
    });
  }
}
