package io.connectedregistry.bundle;

import io.connectedregistry.oci.Digest;
import io.connectedregistry.oci.ManifestParser;
import io.connectedregistry.oci.MediaTypes;
import io.connectedregistry.storage.LocalRegistryStorage;
import io.connectedregistry.storage.UploadHandle;
import io.connectedregistry.storage.UploadStatus;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;

/** Puts blobs, images, indexes and referrers into a real store, as a client's pushes would. */
final class StoreContent {
  static final String LAYER = "application/vnd.oci.image.layer.v1.tar";
  static final String CONFIG = "application/vnd.oci.image.config.v1+json";

  private final LocalRegistryStorage storage;

  StoreContent(LocalRegistryStorage storage) {
    this.storage = storage;
  }

  Digest blob(String repository, String content) {
    return blob(repository, content.getBytes(StandardCharsets.UTF_8));
  }

  Digest blob(String repository, byte[] content) {
    Digest digest = Digest.sha256(content);
    UploadStatus upload = storage.startUpload(repository);
    try (UploadHandle h = storage.openUpload(repository, upload.id())) {
      h.append(ByteBuffer.wrap(content));
      storage.commitUpload(h, digest);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return digest;
  }

  /** An OCI image of a config and one layer per content; tagged when {@code tag} is not null. */
  Digest image(String repository, String tag, String... layers) {
    Digest config = blob(repository, "{\"config\":\"" + repository + "/" + tag + "\",\"layers\":" + layers.length + "}");
    StringBuilder json = new StringBuilder("{\"schemaVersion\":2,\"mediaType\":\"" + MediaTypes.OCI_MANIFEST + "\",")
        .append("\"config\":").append(descriptor(CONFIG, config, size(repository, config))).append(",\"layers\":[");
    for (int i = 0; i < layers.length; i++) {
      Digest layer = blob(repository, layers[i]);
      json.append(i == 0 ? "" : ",").append(descriptor(LAYER, layer, layers[i].length()));
    }
    return manifest(repository, tag, json.append("]}").toString());
  }

  /** An OCI index of manifests already in the repository. */
  Digest index(String repository, String tag, Digest... children) {
    StringBuilder json = new StringBuilder("{\"schemaVersion\":2,\"mediaType\":\"" + MediaTypes.OCI_INDEX
        + "\",\"manifests\":[");
    for (int i = 0; i < children.length; i++) {
      long size = storage.manifest(repository, io.connectedregistry.oci.Reference.parse(children[i].toString()))
          .orElseThrow().bytes().length;
      json.append(i == 0 ? "" : ",").append(descriptor(MediaTypes.OCI_MANIFEST, children[i], size));
    }
    return manifest(repository, tag, json.append("]}").toString());
  }

  /** An artifact (a signature, say) whose subject is {@code subject}, untagged. */
  Digest referrer(String repository, Digest subject, String payload) {
    Digest empty = blob(repository, "{}");
    Digest layer = blob(repository, payload);
    long subjectSize = storage.manifest(repository, io.connectedregistry.oci.Reference.parse(subject.toString()))
        .orElseThrow().bytes().length;
    String json = "{\"schemaVersion\":2,\"mediaType\":\"" + MediaTypes.OCI_MANIFEST + "\","
        + "\"artifactType\":\"application/vnd.example.signature\","
        + "\"config\":" + descriptor(MediaTypes.OCI_EMPTY, empty, 2) + ","
        + "\"layers\":[" + descriptor("application/vnd.example.signature", layer, payload.length()) + "],"
        + "\"subject\":" + descriptor(MediaTypes.OCI_MANIFEST, subject, subjectSize) + "}";
    return manifest(repository, null, json);
  }

  Digest manifest(String repository, String tag, String json) {
    var manifest = ManifestParser.parse(json.getBytes(StandardCharsets.UTF_8), null, "sha256");
    storage.putManifest(repository, manifest, tag);
    return manifest.digest();
  }

  private long size(String repository, Digest digest) {
    return storage.blobSize(repository, digest).orElseThrow();
  }

  private static String descriptor(String mediaType, Digest digest, long size) {
    return "{\"mediaType\":\"" + mediaType + "\",\"digest\":\"" + digest + "\",\"size\":" + size + "}";
  }
}
