package io.connectedregistry.iotedgedev;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.time.Duration;
import java.util.Iterator;
import java.util.Map;
import java.util.function.Predicate;

/**
 * One module's twin: desired and reported properties, each with its {@code $version}. Patches are
 * JSON merge patches (RFC 7386: null deletes, objects merge, anything else replaces), as IoT Hub
 * applies them. Thread-safe: the MQTT side and the test or CLI side both touch it.
 */
final class ModuleTwin {

  private final ObjectNode desired = JsonNodeFactory.instance.objectNode();
  private final ObjectNode reported = JsonNodeFactory.instance.objectNode();
  private long desiredVersion = 1;
  private long reportedVersion = 1;

  /** Applies a desired patch; returns the patch as sent to the module, with the new $version. */
  synchronized ObjectNode patchDesired(ObjectNode patch) {
    merge(desired, withoutMetadata(patch));
    desiredVersion++;
    ObjectNode sent = withoutMetadata(patch);
    sent.put("$version", desiredVersion);
    return sent;
  }

  /** Applies a reported patch from the module; returns the new reported $version. */
  synchronized long patchReported(ObjectNode patch) {
    merge(reported, withoutMetadata(patch));
    reportedVersion++;
    notifyAll();
    return reportedVersion;
  }

  /** The twin document a GET answers: {"desired":{...,"$version":V},"reported":{...,"$version":R}}. */
  synchronized ObjectNode document() {
    ObjectNode doc = JsonNodeFactory.instance.objectNode();
    doc.set("desired", desired());
    doc.set("reported", reported());
    return doc;
  }

  synchronized ObjectNode desired() {
    ObjectNode copy = desired.deepCopy();
    copy.put("$version", desiredVersion);
    return copy;
  }

  synchronized ObjectNode reported() {
    ObjectNode copy = reported.deepCopy();
    copy.put("$version", reportedVersion);
    return copy;
  }

  /**
   * Waits until the reported properties (with $version) satisfy the predicate; returns them, or
   * throws {@link AssertionError} naming the last reported state after the timeout.
   */
  ObjectNode awaitReported(Predicate<JsonNode> condition, Duration timeout)
      throws InterruptedException {
    long deadline = System.nanoTime() + timeout.toNanos();
    synchronized (this) {
      while (true) {
        ObjectNode now = reported();
        if (condition.test(now)) {
          return now;
        }
        long left = deadline - System.nanoTime();
        if (left <= 0) {
          throw new AssertionError(
              "reported properties did not match within " + timeout + "; last: " + now);
        }
        wait(Math.max(1, left / 1_000_000));
      }
    }
  }

  private static ObjectNode withoutMetadata(ObjectNode patch) {
    ObjectNode copy = patch.deepCopy();
    copy.remove("$version");
    copy.remove("$metadata");
    return copy;
  }

  static void merge(ObjectNode target, ObjectNode patch) {
    Iterator<Map.Entry<String, JsonNode>> fields = patch.fields();
    while (fields.hasNext()) {
      Map.Entry<String, JsonNode> field = fields.next();
      JsonNode value = field.getValue();
      if (value.isNull()) {
        target.remove(field.getKey());
      } else if (value.isObject() && target.get(field.getKey()) instanceof ObjectNode existing) {
        merge(existing, (ObjectNode) value);
      } else if (value.isObject()) {
        ObjectNode fresh = JsonNodeFactory.instance.objectNode();
        merge(fresh, (ObjectNode) value); // nulls inside a new object mean nothing
        target.set(field.getKey(), fresh);
      } else {
        target.set(field.getKey(), value.deepCopy());
      }
    }
  }
}
