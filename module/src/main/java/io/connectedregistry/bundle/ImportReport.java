package io.connectedregistry.bundle;

import io.connectedregistry.sync.ImportCursor;
import java.util.List;

/**
 * What an import did, as the command prints it and the admin API answers it (JSON).
 *
 * @param format {@code bundle} (this project's), {@code oci-layout} (skopeo's oci-archive, Docker
 *     25+ save) or {@code docker-archive}
 * @param tags every tag the archive names, with the digest it has now (set, or already there)
 * @param tagsUnchanged of those, how many already pointed there
 * @param tagsDeleted {@code repository:tag} deleted by the bundle's deletedTags
 * @param manifests manifests stored that were not here
 * @param blobsWritten blobs written from the archive; {@code blobsLinked}: already here, linked
 * @param bytesWritten bytes of the blobs written; {@code archiveBytes}: of the archive's files
 * @param cursor the sync cursor (null in a registry without a parent)
 */
public record ImportReport(String format, int images, List<ImportCursor.TagChange> tags, int tagsUnchanged,
    List<String> tagsDeleted, int manifests, int manifestsDeleted, long blobsWritten, long blobsLinked,
    long bytesWritten, long archiveBytes, Cursor cursor) {

  /**
   * @param advanced whether the cursor was taken from the bundle
   * @param reason why it stayed, when it did
   */
  public record Cursor(long before, long after, boolean advanced, String reason) {}

  public static ImportReport of(BundleImporter.Result result, ImportCursor.Outcome outcome) {
    return new ImportReport(result.format(), result.images(), result.tagsSet(), result.tagsUnchanged(),
        result.tagsDeleted(), result.manifests(), result.manifestsDeleted(), result.blobsWritten(),
        result.blobsLinked(), result.bytesWritten(), result.archiveBytes(),
        outcome == null ? null : new Cursor(outcome.before(), outcome.after(), outcome.advanced(), outcome.reason()));
  }
}
