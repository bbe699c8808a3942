package io.connectedregistry.sync;

import io.vertx.core.Future;
import io.vertx.core.http.HttpMethod;

/** {@code GET /v2/}: is the parent there, does it speak the distribution API, do our credentials work. */
public final class Ping {
  private final ParentCaller caller;

  public Ping(ParentCaller caller) {
    this.caller = caller;
  }

  public Future<Void> ping() {
    ParentRequest request = ParentRequest.of(HttpMethod.GET, "/v2/", null);
    return caller.call(request, response -> response.statusCode() == 200
        ? ParentCaller.discard(response)
        : ParentCaller.failure(request, response));
  }
}
