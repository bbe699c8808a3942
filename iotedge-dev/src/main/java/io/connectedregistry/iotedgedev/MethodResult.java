package io.connectedregistry.iotedgedev;

import com.fasterxml.jackson.databind.JsonNode;

/**
 * What a direct method call returned: the module's status and JSON payload, or the stand-in's own
 * 404 (module not connected or not subscribed to methods) or 504 (no answer in time), as IoT Hub
 * answers them.
 */
public record MethodResult(int status, JsonNode payload) {}
