package io.connectedregistry.sync;

import io.connectedregistry.oci.Digest;
import io.vertx.core.Future;
import io.vertx.core.http.HttpMethod;

/**
 * {@code POST /v2/<name>/blobs/uploads/?mount=<digest>&from=<other>}: links a blob the parent
 * already has in another repository, so it is not uploaded again.
 */
public final class MountBlob {
  private final ParentCaller caller;

  /** Either mounted, or the parent declined and opened an ordinary upload instead. */
  public record Result(boolean mounted, UploadLocation upload) {}

  public MountBlob(ParentCaller caller) {
    this.caller = caller;
  }

  public Future<Result> mount(String repository, String from, Digest digest) {
    ParentRequest request = ParentRequest.of(HttpMethod.POST,
            "/v2/" + repository + "/blobs/uploads/?mount=" + digest + "&from=" + from,
            Scopes.push(repository) + " " + Scopes.pull(from))
        .header("Content-Length", "0");
    return caller.call(request, response -> {
      if (response.statusCode() == 201) {
        return ParentCaller.discard(response).map(v -> new Result(true, null));
      }
      if (response.statusCode() == 202) {
        return UploadResponses.location(caller, request, response, true).map(upload -> new Result(false, upload));
      }
      return ParentCaller.failure(request, response);
    });
  }
}
