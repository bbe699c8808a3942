package io.connectedregistry.bundle;

/**
 * What one import may hold: a hostile or broken archive must not fill the heap or the disk's
 * inodes before it is refused. Documents (index.json, the bundle's metadata, manifest.json) and
 * manifests are at most {@link StagedArchive#MAX_DOCUMENT_BYTES} each.
 *
 * @param maxEntries entries of the tar stream, directories included
 */
public record BundleLimits(int maxEntries) {
  public static final BundleLimits DEFAULT = new BundleLimits(100_000);
}
