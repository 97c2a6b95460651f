/** The live-session decider as a specification: given events → command → events. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import {
  decideEndLiveSession,
  foldLiveSession,
  tagOf,
  type LiveDialogFacts,
  type LiveSessionEvent,
} from '../../../src/domain/live-session.ts';

const dialog: LiveDialogFacts = {
  callId: 'call-1',
  deviceId: '34020000001320000001',
  channelId: '34020000001310000001',
  nodeId: 'media-1',
  from: '<sip:34020000002000000001@3402000000>;tag=node1',
  to: '<sip:34020000001310000001@3402000000>;tag=dev1',
  fromTag: 'node1',
  toTag: 'dev1',
  remoteTarget: 'sip:34020000001310000001@192.0.2.10:5060',
  cseq: 3,
  device: { transport: 'UDP', address: '192.0.2.10', port: 5060 },
  ssrc: '0200000001',
  rtp: { transport: 'UDP', localPort: 30000 },
  at: '2026-01-01T00:00:00.000Z',
};
const at = new Date('2026-01-01T00:05:00.000Z');
const established: LiveSessionEvent = { type: 'LiveDialogEstablished', data: dialog };

describe('decideEndLiveSession', () => {
  it('ends an open dialog with the reason given', () => {
    const events = decideEndLiveSession(foldLiveSession([established]), {
      reason: 'node_restarted',
      at,
    });
    assert.deepEqual(events, [
      {
        type: 'LiveStreamStopped',
        data: {
          deviceId: dialog.deviceId,
          channelId: dialog.channelId,
          callId: 'call-1',
          reason: 'node_restarted',
          at: at.toISOString(),
        },
      },
    ]);
  });

  it('gives nothing for a session that ended already, or that has no recorded dialog', () => {
    const [stopped] = decideEndLiveSession(foldLiveSession([established]), { reason: 'x', at });
    const ended = foldLiveSession([established, stopped!]);
    assert.equal(ended.stoppedReason, 'x');
    assert.deepEqual(decideEndLiveSession(ended, { reason: 'node_restarted', at }), []);
    assert.deepEqual(decideEndLiveSession(foldLiveSession([]), { reason: 'x', at }), []);
  });
});

describe('tagOf', () => {
  it('reads the tag parameter of a From or To value, empty where there is none', () => {
    assert.equal(tagOf('<sip:a@b>;tag=9fxced76sl'), '9fxced76sl');
    assert.equal(tagOf('"Cam" <sip:a@b>; TAG=abc;x=1'), 'abc');
    assert.equal(tagOf('<sip:a@b;tag=uri-param>'), '');
    assert.equal(tagOf('sip:a@b;tag=bare'), 'bare');
    assert.equal(tagOf('<sip:a@b>'), '');
  });
});
