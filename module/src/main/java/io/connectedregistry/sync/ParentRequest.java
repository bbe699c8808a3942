package io.connectedregistry.sync;

import io.vertx.core.Future;
import io.vertx.core.MultiMap;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.streams.ReadStream;

/**
 * One request to the parent, described so that the caller can send it again: after a 401 (with
 * credentials) or, for GET/HEAD, after a transient failure.
 *
 * @param target a path with its query ({@code /v2/a/b/tags/list?n=10}), or an absolute URL on the
 *     parent (an upload {@code Location})
 * @param scope the token scope the request needs ({@code repository:a/b:pull}), or null for none
 * @param body a body sent as is, or null
 * @param bodySource a streamed body, opened anew for every send, or null
 */
public record ParentRequest(
    HttpMethod method, String target, String scope, MultiMap headers, Buffer body, BodySource bodySource) {

  /** Opens a fresh stream of the same bytes each time it is called. */
  @FunctionalInterface
  public interface BodySource {
    Future<ReadStream<Buffer>> open();
  }

  public ParentRequest {
    headers = headers == null ? MultiMap.caseInsensitiveMultiMap() : headers;
  }

  public static ParentRequest of(HttpMethod method, String target, String scope) {
    return new ParentRequest(method, target, scope, null, null, null);
  }

  public ParentRequest header(String name, String value) {
    headers.set(name, value);
    return this;
  }

  public ParentRequest withBody(Buffer body) {
    return new ParentRequest(method, target, scope, headers, body, null);
  }

  public ParentRequest withBodySource(BodySource source, long length) {
    headers.set("Content-Length", Long.toString(length));
    return new ParentRequest(method, target, scope, headers, null, source);
  }

  /** Only GET and HEAD may be sent twice: a repeated POST/PATCH/PUT could start or corrupt an upload. */
  public boolean idempotent() {
    return method == HttpMethod.GET || method == HttpMethod.HEAD;
  }

  /** The target without its query: upload locations and token requests carry secrets there. */
  public String loggable() {
    return withoutQuery(target);
  }

  static String withoutQuery(String url) {
    int q = url.indexOf('?');
    return q < 0 ? url : url.substring(0, q);
  }
}
