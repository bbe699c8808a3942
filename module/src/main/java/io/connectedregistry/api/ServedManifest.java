package io.connectedregistry.api;

import io.connectedregistry.oci.MediaTypeSyntax;
import io.connectedregistry.storage.StoredManifest;
import io.netty.buffer.Unpooled;
import io.netty.util.AsciiString;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.internal.buffer.BufferInternal;

/**
 * A stored manifest in the form a GET answers it, built once and shared by every request that
 * finds it in {@link ServedManifests}: the header values are {@link AsciiString}s, which Vert.x
 * copies into the response in one go (a String is written a character at a time, which a cold JVM
 * runs interpreted), and the body is the stored bytes, never copied per request (Vert.x hands an
 * unreleasable slice of a wrapped buffer to Netty, so one buffer serves any number of answers).
 */
final class ServedManifest {
  /** What an entry costs besides its bytes: the objects and header values below. */
  static final int OVERHEAD_BYTES = 640;

  final StoredManifest stored;
  /** False for a media type that is no valid header value: such a manifest is answered 404. */
  final boolean mediaTypeServable;
  final AsciiString contentType;
  final AsciiString digest;
  final AsciiString etag;
  final AsciiString contentLength;
  private final Buffer body;

  private ServedManifest(StoredManifest stored) {
    this.stored = stored;
    this.mediaTypeServable = MediaTypeSyntax.isTypeAndSubtype(stored.mediaType());
    this.contentType = mediaTypeServable ? AsciiString.of(stored.mediaType()) : null;
    String digestText = stored.digest().toString();
    this.digest = AsciiString.of(digestText);
    this.etag = AsciiString.of("\"" + digestText + "\"");
    this.contentLength = AsciiString.of(Integer.toString(stored.bytes().length));
    this.body = BufferInternal.buffer(Unpooled.wrappedBuffer(stored.bytes()));
  }

  static ServedManifest of(StoredManifest stored) {
    return new ServedManifest(stored);
  }

  String mediaType() {
    return stored.mediaType();
  }

  /** The body of one answer; the bytes are shared, never written to. */
  Buffer body() {
    return body;
  }

  int weight() {
    return stored.bytes().length + OVERHEAD_BYTES;
  }
}
