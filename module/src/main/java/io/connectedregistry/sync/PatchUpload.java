package io.connectedregistry.sync;

import io.vertx.core.Future;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpMethod;

/**
 * {@code PATCH <location>}: appends one chunk to an upload at the parent. Never retried: after a
 * failure, ask the parent for the upload's offset and send from there.
 */
public final class PatchUpload {
  private final ParentCaller caller;

  public PatchUpload(ParentCaller caller) {
    this.caller = caller;
  }

  public Future<UploadLocation> patch(String repository, UploadLocation upload, Buffer chunk) {
    return send(request(repository, upload, chunk.length()).withBody(chunk));
  }

  /** Streams {@code length} bytes from {@code source} (opened again if a 401 forces a resend). */
  public Future<UploadLocation> patch(String repository, UploadLocation upload,
      ParentRequest.BodySource source, long length) {
    return send(request(repository, upload, length).withBodySource(source, length));
  }

  private ParentRequest request(String repository, UploadLocation upload, long length) {
    return ParentRequest.of(HttpMethod.PATCH, upload.url(), Scopes.push(repository))
        .header("Content-Type", "application/octet-stream")
        .header("Content-Length", Long.toString(length))
        .header("Content-Range", upload.offset() + "-" + (upload.offset() + length - 1));
  }

  private Future<UploadLocation> send(ParentRequest request) {
    return caller.call(request, response -> response.statusCode() == 202
        ? UploadResponses.location(caller, request, response, false)
        : ParentCaller.failure(request, response));
  }
}
