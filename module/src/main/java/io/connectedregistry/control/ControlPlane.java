package io.connectedregistry.control;

import io.vertx.core.Future;

/**
 * The API children call on their parent, under {@code /_connected/v1/registries/NAME/}: served
 * from the definitions at the root ({@link RootControlPlane}), from the replica of its subtree at a
 * connected registry ({@code InstanceAgent}'s relay). Authorisation is the HTTP layer's (the
 * caller's gateway actions on {@code NAME}); refusals are {@link ControlException}s.
 */
public interface ControlPlane {

  /**
   * @param status 200, 204 or 304
   * @param etag the strong ETag of {@code body} (quoted), or null
   * @param body JSON-encodable, or null
   */
  record Answer(int status, String etag, Object body) {}

  Future<Answer> activate(String name, ControlRequests.Activate request);

  Future<Answer> definition(String name, String ifNoneMatch);

  Future<Answer> tokens(String name, String ifNoneMatch);

  Future<Answer> report(String name, ControlRequests.Report report);

  /** A 304 when the caller already has {@code etag}, else 200 with the body. */
  static Answer conditional(String etag, String ifNoneMatch, Object body) {
    return etag.equals(ifNoneMatch) ? new Answer(304, etag, null) : new Answer(200, etag, body);
  }
}
