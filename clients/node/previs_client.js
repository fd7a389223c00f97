'use strict';
// A small typed-by-convention wrapper over the previs gRPC services, with
// stubs loaded at run time from the .proto files (no generated code to keep
// in step). Copy this folder as a starting point for your own Node client.

const fs = require('node:fs');
const path = require('node:path');
const grpc = require('@grpc/grpc-js');
const protoLoader = require('@grpc/proto-loader');

const DEFAULT_PROTO_ROOT = path.resolve(__dirname, '..', '..', 'protos');
const SERVICE_FILES = [
  'previs/storage/v1/storage_service.proto',
  'previs/planner/v1/planner_service.proto',
  'previs/media/v1/media_service.proto',
];

function loadPackages(protoRoot = process.env.PREVIS_PROTO_ROOT || DEFAULT_PROTO_ROOT) {
  const definition = protoLoader.loadSync(SERVICE_FILES, {
    includeDirs: [protoRoot],
    keepCase: true, // field names exactly as in the .proto files
    longs: String,
    enums: String,
    defaults: true,
    oneofs: true,
  });
  return grpc.loadPackageDefinition(definition).previs;
}

class PrevisClient {
  // address: "host:port" of the gateway; apiKey: a previs API key.
  constructor(address, apiKey, { protoRoot, credentials } = {}) {
    const previs = loadPackages(protoRoot);
    const channelCredentials = credentials || grpc.credentials.createInsecure();
    const options = { 'grpc.max_receive_message_length': 8 * 1024 * 1024 };
    this.storage = new previs.storage.v1.StorageService(address, channelCredentials, options);
    this.planner = new previs.planner.v1.PlannerService(address, channelCredentials, options);
    this.media = new previs.media.v1.MediaService(address, channelCredentials, options);
    this.apiKey = apiKey;
  }

  metadata() {
    const metadata = new grpc.Metadata();
    if (this.apiKey) metadata.set('authorization', `Bearer ${this.apiKey}`);
    return metadata;
  }

  // Calls a unary method and resolves with its response (rejects with the
  // gRPC error, whose .code and .details say what went wrong).
  call(stub, method, request, deadlineSeconds = 120) {
    return new Promise((resolve, reject) => {
      const deadline = new Date(Date.now() + deadlineSeconds * 1000);
      stub[method](request, this.metadata(), { deadline }, (error, response) =>
        error ? reject(error) : resolve(response));
    });
  }

  // Follows a job's events to the end; after a dropped stream it resumes
  // from the last sequence seen, so no event is missed or repeated.
  async watchJob(jobName, onEvent = () => {}, maxAttempts = 5) {
    let lastSequence = '0';
    for (let attempt = 0; attempt < maxAttempts; attempt += 1) {
      try {
        await new Promise((resolve, reject) => {
          const stream = this.media.WatchJob({ name: jobName, after_sequence: lastSequence }, this.metadata());
          stream.on('data', (event) => { lastSequence = event.sequence; onEvent(event); });
          stream.on('end', resolve);
          stream.on('error', reject);
        });
        break;
      } catch (error) {
        if (error.code !== grpc.status.UNAVAILABLE) throw error;
        await new Promise((r) => setTimeout(r, 500));
      }
    }
    return this.call(this.media, 'GetJob', { name: jobName });
  }

  // Streams a blob into a file, chunk by chunk.
  downloadBlob(blobName, filePath) {
    return new Promise((resolve, reject) => {
      const out = fs.createWriteStream(filePath);
      let bytes = 0;
      const stream = this.storage.DownloadBlob({ name: blobName }, this.metadata());
      stream.on('data', (chunk) => { bytes += chunk.data.length; out.write(chunk.data); });
      stream.on('error', (error) => { out.destroy(); reject(error); });
      stream.on('end', () => out.end(() => resolve(bytes)));
    });
  }

  close() {
    for (const stub of [this.storage, this.planner, this.media]) stub.close();
  }
}

module.exports = { PrevisClient, loadPackages, grpc };
