package io.connectedregistry.bundle;

import io.connectedregistry.oci.Digest;
import java.util.List;

/**
 * What one export writes, decided from one read transaction before the first byte is written:
 * the bundle's metadata, the descriptors of {@code index.json}, then the manifests (each index
 * before its children) and the blobs, in the order they go into the tar stream.
 *
 * @param imageEnds for each tagged image, in ascending order, the position in the stream (manifests
 *     first, then blobs, counted from 0) after which the image is complete: what progress counts
 */
record ExportPlan(BundleMetadata metadata, List<IndexEntry> index, List<ManifestItem> manifests,
    List<BlobItem> blobs, long[] imageEnds) {

  /** One descriptor of {@code index.json}; {@code tag} is null for an untagged manifest. */
  record IndexEntry(String repository, String tag, Digest digest, String mediaType, long size) {}

  record ManifestItem(Digest digest, String mediaType, byte[] bytes) {}

  record BlobItem(Digest digest, long size) {}

  /** Bytes of content the stream carries (manifests and blobs, before tar headers and compression). */
  long contentBytes() {
    long total = 0;
    for (ManifestItem m : manifests) {
      total += m.bytes().length;
    }
    for (BlobItem b : blobs) {
      total += b.size();
    }
    return total;
  }

  long taggedImages() {
    return imageEnds.length;
  }
}
