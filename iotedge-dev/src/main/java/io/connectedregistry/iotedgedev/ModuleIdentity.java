package io.connectedregistry.iotedgedev;

import java.security.SecureRandom;
import java.util.Base64;
import java.util.Objects;

/**
 * One module the stand-in knows: the IoT hub it pretends to be, the device and module ids, the
 * module's symmetric key (base64, as IoT Hub issues them) and the generation id the workload API
 * answers for.
 */
public record ModuleIdentity(
    String hubHostName, String deviceId, String moduleId, String key, String generationId) {

  public ModuleIdentity {
    Objects.requireNonNull(hubHostName, "hubHostName");
    Objects.requireNonNull(deviceId, "deviceId");
    Objects.requireNonNull(moduleId, "moduleId");
    Objects.requireNonNull(key, "key");
    Objects.requireNonNull(generationId, "generationId");
    if (deviceId.contains("/") || moduleId.contains("/")) {
      throw new IllegalArgumentException("device and module ids may not contain '/'");
    }
    Base64.getDecoder().decode(key); // fails early on a key that is not base64
  }

  /** A fresh random 256-bit key, base64: what IoT Hub generates for a new module identity. */
  public static String randomKey() {
    byte[] key = new byte[32];
    new SecureRandom().nextBytes(key);
    return Base64.getEncoder().encodeToString(key);
  }

  /** "device/module": the MQTT client id the SDK uses and the stand-in's map key. */
  public String clientId() {
    return deviceId + "/" + moduleId;
  }

  /** The resource a SAS token for this module must name (before URL encoding). */
  public String resourceUri() {
    return hubHostName + "/devices/" + deviceId + "/modules/" + moduleId;
  }

  /** The module connection string as edgeHub would give it (EdgeHubConnectionString). */
  public String connectionString(String gatewayHostName) {
    return "HostName=" + hubHostName + ";GatewayHostName=" + gatewayHostName + ";DeviceId="
        + deviceId + ";ModuleId=" + moduleId + ";SharedAccessKey=" + key;
  }

  byte[] keyBytes() {
    return Base64.getDecoder().decode(key);
  }

  @Override
  public String toString() {
    // never the key
    return "ModuleIdentity[" + hubHostName + "/" + clientId() + ", generation " + generationId + "]";
  }
}
