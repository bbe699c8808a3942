package io.connectedregistry.api;

import io.connectedregistry.oci.Digest;
import io.connectedregistry.oci.ErrorCode;
import io.connectedregistry.oci.InvalidReferenceException;
import io.connectedregistry.oci.Manifest;
import io.connectedregistry.oci.ManifestParser;
import io.connectedregistry.oci.Reference;
import io.connectedregistry.storage.StoredManifest;
import io.netty.util.AsciiString;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.HttpServerResponse;
import io.vertx.ext.web.RoutingContext;
import java.util.List;

/** {@code GET|HEAD|PUT|DELETE /v2/<name>/manifests/<reference>}: stored and served byte for byte. */
final class ManifestHandler {
  /** The spec asks registries to accept at least 4 MiB. */
  static final int MAX_MANIFEST_BYTES = 4 * 1024 * 1024;

  // Header names as AsciiStrings: Vert.x copies those whole into the response (ServedManifest).
  private static final AsciiString ACCEPT = AsciiString.cached("Accept");
  private static final AsciiString CONTENT_TYPE = AsciiString.cached("Content-Type");
  private static final AsciiString DOCKER_CONTENT_DIGEST = AsciiString.cached("Docker-Content-Digest");
  private static final AsciiString ETAG = AsciiString.cached("ETag");
  private static final AsciiString CONTENT_LENGTH = AsciiString.cached("Content-Length");

  private final Storage storage;
  private final PullThrough pullThrough;
  private final ServedManifests served;

  ManifestHandler(Storage storage, PullThrough pullThrough) {
    this(storage, pullThrough, storage.servedManifests());
  }

  ManifestHandler(Storage storage, PullThrough pullThrough, ServedManifests served) {
    this.storage = storage;
    this.pullThrough = pullThrough;
    this.served = served;
  }

  void get(RoutingContext ctx) {
    String repository = Paths.repository(ctx);
    String text = ctx.pathParam("reference");
    // Read before storage is: what is read from storage is cached under this number (ServedManifests).
    long generation = storage.manifestGeneration(repository);
    ServedManifest cached = served.get(repository, text, generation);
    if (cached != null) {
      // Only a reference that parsed was ever cached, so this one is valid: no second check.
      serve(ctx, text, cached);
      return;
    }
    Reference reference = existingReference(ctx, repository);
    if (reference == null) {
      return;
    }
    storage.call(s -> s.manifest(repository, reference)).onSuccess(found -> {
      if (found.isPresent()) {
        ServedManifest manifest = ServedManifest.of(found.get());
        served.put(repository, text, generation, manifest);
        serve(ctx, text, manifest);
        return;
      }
      RuntimeException unknown = ErrorCode.MANIFEST_UNKNOWN.exception(reference + " in " + repository);
      // Pull-through: the parent's exact bytes now; the image is stored in the background (and
      // cached from storage once it is: the parent's answer itself is not).
      pullThrough.manifest(repository, reference, unknown)
          .onSuccess(parent -> serve(ctx, text, ServedManifest.of(
              new StoredManifest(parent.digest(), parent.mediaType(), parent.bytes(), null))))
          .onFailure(ctx::fail);
    }).onFailure(ctx::fail);
  }

  /**
   * The reference of a GET, HEAD or DELETE, or null (the request answered 404) when it is no tag
   * and no digest: such a manifest cannot exist, so it is not found (the conformance suite asks
   * this of {@code .INVALID_MANIFEST_NAME}). A PUT still refuses it with 400 TAG_INVALID.
   */
  private static Reference existingReference(RoutingContext ctx, String repository) {
    String text = ctx.pathParam("reference");
    try {
      return Reference.parse(text);
    } catch (InvalidReferenceException e) {
      ctx.fail(ErrorCode.MANIFEST_UNKNOWN.exception(e.getMessage() + " in " + repository));
      return null;
    }
  }

  private static void serve(RoutingContext ctx, String reference, ServedManifest manifest) {
    if (!manifest.mediaTypeServable) {
      // Stored before media types were checked, or sent so by a parent: never echoed as a header.
      ctx.fail(ErrorCode.MANIFEST_UNKNOWN.exception(reference + " has an invalid media type; push it again"));
      return;
    }
    List<String> accept = ctx.request().headers().getAll(ACCEPT);
    if (!Accept.allows(accept, manifest.mediaType())) {
      ctx.fail(ErrorCode.MANIFEST_UNKNOWN.exception(reference + " is a " + manifest.mediaType()
          + ", which the request's Accept header does not allow"));
      return;
    }
    HttpServerResponse response = ctx.response()
        .putHeader(CONTENT_TYPE, manifest.contentType)
        .putHeader(DOCKER_CONTENT_DIGEST, manifest.digest)
        .putHeader(ETAG, manifest.etag)
        .putHeader(CONTENT_LENGTH, manifest.contentLength);
    if (ctx.request().method() == HttpMethod.HEAD) {
      response.end();
    } else {
      response.end(manifest.body());
    }
  }

  void put(RoutingContext ctx) {
    ctx.request().pause();
    String repository = Paths.repository(ctx);
    Reference reference = Reference.parse(ctx.pathParam("reference"));
    String contentType = ctx.request().getHeader("Content-Type");
    BodyReader.readManifest(ctx, MAX_MANIFEST_BYTES)
        .compose(body -> storage.call(s -> {
          // Parsing and hashing up to 4 MiB: on the worker, like all other heavy lifting.
          String algorithm = reference.isDigest() ? reference.digest().algorithm() : "sha256";
          Manifest manifest = ManifestParser.parse(body.getBytes(), contentType, algorithm);
          if (reference.isDigest() && !reference.digest().equals(manifest.digest())) {
            throw ErrorCode.DIGEST_INVALID.exception(
                "manifest content has digest " + manifest.digest() + ", not " + reference.digest());
          }
          s.putManifest(repository, manifest, reference.tag());
          return manifest;
        }))
        .onSuccess(manifest -> {
          Digest digest = manifest.digest();
          HttpServerResponse response = ctx.response()
              .setStatusCode(201)
              .putHeader("Location", Paths.manifestUrl(repository, digest.toString()))
              .putHeader("Docker-Content-Digest", digest.toString())
              .putHeader("Content-Length", "0");
          if (manifest.subject() != null) {
            response.putHeader("OCI-Subject", manifest.subject().digest().toString());
          }
          response.end();
        })
        .onFailure(ctx::fail);
  }

  void delete(RoutingContext ctx) {
    String repository = Paths.repository(ctx);
    Reference reference = existingReference(ctx, repository);
    if (reference == null) {
      return;
    }
    storage.call(s -> s.deleteManifest(repository, reference)).onSuccess(deleted -> {
      if (!deleted) {
        ctx.fail(ErrorCode.MANIFEST_UNKNOWN.exception(reference + " in " + repository));
        return;
      }
      ctx.response().setStatusCode(202).putHeader("Content-Length", "0").end();
    }).onFailure(ctx::fail);
  }
}
