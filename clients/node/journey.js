#!/usr/bin/env node
'use strict';
// The previs journey from Node.js, through the gateway:
// create project → upload script → plan → shot plan → watch a frames job to
// the end → download a frame.
// Usage: node journey.js HOST:PORT API_KEY SCRIPT.fountain OUT_DIR
// Prints one JSON line with what it made.

const fs = require('node:fs');
const path = require('node:path');
const { PrevisClient } = require('./previs_client');

async function journey(address, apiKey, scriptPath, outDir) {
  const client = new PrevisClient(address, apiKey);
  const requestId = (step) => `node-${process.pid}-${Date.now()}-${step}`;
  try {
    const project = await client.call(client.storage, 'CreateProject', {
      project: { title: 'Node journey', owner: 'node-client' }, request_id: requestId('project'),
    });
    const script = await client.call(client.planner, 'CreateScript', {
      parent: project.name,
      script: { title: path.basename(scriptPath), content: fs.readFileSync(scriptPath, 'utf8'), format: 'SCRIPT_FORMAT_FOUNTAIN' },
      request_id: requestId('script'),
    });
    const plan = await client.call(client.planner, 'GeneratePlan', {
      parent: project.name, screenplay: { script_revision: script.revision }, request_id: requestId('plan'),
    });
    const shots = await client.call(client.planner, 'GenerateShotPlan', {
      plan_revision: plan.revision, request_id: requestId('shots'),
    });
    const job = await client.call(client.media, 'GenerateFrames', {
      parent: project.name,
      spec: {
        shot_plan_revision: shots.shot_plan.revision,
        scope: { type: 'TYPE_SHOT', shot_id: shots.shot_plan.shots[0].id },
        backend: 'BACKEND_LOCAL',
      },
      request_id: requestId('frames'),
    });
    let events = 0;
    const finished = await client.watchJob(job.name, () => { events += 1; });
    if (finished.state !== 'STATE_SUCCEEDED') throw new Error(`frames job ended ${finished.state}`);
    const frame = await client.call(client.storage, 'GetRevision', { name: finished.output_revisions[0] });
    fs.mkdirSync(outDir, { recursive: true });
    const framePath = path.join(outDir, 'frame.png');
    const bytes = await client.downloadBlob(frame.blobs[0].blob, framePath);
    return {
      project: project.name, plan: plan.revision, shot_plan: shots.shot_plan.revision,
      shots: shots.shot_plan.shots.length, job: finished.name, events, frame: frame.name, frame_path: framePath, bytes,
    };
  } finally {
    client.close();
  }
}

if (require.main === module) {
  const [address, apiKey, scriptPath, outDir] = process.argv.slice(2);
  if (!address || !scriptPath || !outDir) {
    console.error('usage: node journey.js HOST:PORT API_KEY SCRIPT.fountain OUT_DIR');
    process.exit(2);
  }
  journey(address, apiKey, scriptPath, outDir)
    .then((result) => console.log(JSON.stringify(result)))
    .catch((error) => { console.error(`journey failed: ${error.code ?? ''} ${error.details ?? error.message}`); process.exit(1); });
}

module.exports = { journey };
