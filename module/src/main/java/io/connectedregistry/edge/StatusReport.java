package io.connectedregistry.edge;

import io.connectedregistry.status.RegistryStatus;
import io.connectedregistry.status.RegistryStatus.StatusDetails;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The registry's status as the module twin's reported {@code status} property (and the answer of
 * the {@code getStatus} method). Every field is always present, null when unknown: reported
 * properties are merge patches too, so a field left out would keep its old value in the twin while
 * a null removes it. Built only from the typed status, which never holds a secret; the parent's
 * address and repository names stay out (the registry's own status endpoint serves them to
 * operators).
 */
final class StatusReport {
  private StatusReport() {}

  static Map<String, Object> of(RegistryStatus status) {
    Map<String, Object> report = new LinkedHashMap<>();
    report.put("activation", status.activation().name());
    report.put("connectionState", status.connectionState().name());
    report.put("mode", status.mode() == null ? null : status.mode().name());
    report.put("version", status.version());
    report.put("sync", status.sync() == null ? null : sync(status.sync()));
    RegistryStatus.Storage storage = status.storage();
    Map<String, Object> storageReport = new LinkedHashMap<>();
    storageReport.put("usedBytes", known(storage.bytesUsed()));
    storageReport.put("freeBytes", known(storage.freeBytes()));
    storageReport.put("repositories", known(storage.repositories()));
    storageReport.put("blobs", known(storage.blobs()));
    report.put("storage", storageReport);
    Map<String, Object> queue = new LinkedHashMap<>();
    queue.put("pending", status.upstreamQueue().pending());
    queue.put("expired", status.upstreamQueue().expired());
    report.put("upstreamQueue", queue);
    report.put("statusDetails", status.statusDetails() == null ? List.of() : List.of(details(status.statusDetails())));
    return report;
  }

  private static Map<String, Object> sync(RegistryStatus.Sync sync) {
    Map<String, Object> report = new LinkedHashMap<>();
    report.put("state", sync.syncState() == null ? null : sync.syncState().name());
    report.put("trigger", sync.syncTrigger() == null ? null : sync.syncTrigger().name());
    report.put("lastSyncStartTime", sync.lastSyncStartTime());
    report.put("lastSyncEndTime", sync.lastSyncEndTime());
    report.put("lastSuccessfulSyncEndTime", sync.lastSuccessfulSyncEndTime());
    report.put("nextSyncTime", sync.nextSyncWindow());
    report.put("lastError", sync.lastError() == null ? null : details(sync.lastError()));
    return report;
  }

  private static Map<String, Object> details(StatusDetails details) {
    Map<String, Object> report = new LinkedHashMap<>();
    report.put("type", details.type());
    report.put("code", details.code());
    report.put("description", details.description());
    report.put("timestamp", details.timestamp());
    report.put("correlationId", details.correlationId());
    return report;
  }

  /** -1 means not yet measured: null in the twin. */
  private static Long known(long value) {
    return value < 0 ? null : value;
  }
}
