import { describe, expect, it } from 'vitest';
import { addressClass, isLoopbackAddress, isMetadataAddress, isPrivateAddress } from '../../src/egress/addresses.js';

describe('isPrivateAddress', () => {
  const privateOnes: Array<[string, RegExp]> = [
    ['127.0.0.1', /loopback/],
    ['127.255.0.9', /loopback/],
    ['10.1.2.3', /10\/8/],
    ['172.16.0.1', /172\.16\/12/],
    ['172.31.255.255', /172\.16\/12/],
    ['192.168.1.1', /192\.168/],
    ['100.64.0.1', /carrier-grade NAT/],
    ['100.127.255.254', /carrier-grade NAT/],
    ['169.254.1.1', /link-local/],
    ['169.254.169.254', /metadata/],
    ['0.0.0.0', /unspecified/],
    ['0.1.2.3', /unspecified/],
    ['224.0.0.1', /multicast/],
    ['239.255.255.250', /multicast/],
    ['255.255.255.255', /broadcast/],
    ['::1', /loopback/],
    ['::', /unspecified/],
    ['fc00::1', /unique local/],
    ['fd12:3456::1', /unique local/],
    ['fe80::1', /link-local/],
    ['fe80::1%eth0', /link-local/],
    ['FE80::ABCD', /link-local/],
    ['ff02::1', /multicast/],
    ['::ffff:10.0.0.1', /10\/8.*IPv4 in IPv6/],
    ['::ffff:127.0.0.1', /loopback/],
    ['::ffff:a00:1', /10\/8/],
    ['::ffff:7f00:1', /loopback/],
    ['0:0:0:0:0:ffff:c0a8:0101', /192\.168/],
    ['::ffff:169.254.169.254', /metadata/],
    ['64:ff9b::a9fe:a9fe', /metadata/],
    ['64:ff9b::10.0.0.1', /10\/8/],
    ['fd00:ec2::254', /metadata/],
    ['[::1]', /loopback/],
    ['::10.0.0.1', /IPv4-compatible/],
    ['not-an-ip', /not an IP/],
  ];
  it.each(privateOnes)('%s is not public (%s)', (ip, cls) => {
    expect(isPrivateAddress(ip)).toBe(true);
    expect(addressClass(ip)).toMatch(cls);
  });

  const publicOnes = ['8.8.8.8', '1.1.1.1', '140.82.112.3', '100.63.255.255', '100.128.0.0', '172.15.255.255', '172.32.0.0', '192.169.0.1', '169.253.255.255', '223.255.255.255', '2606:4700::1111', '2a00:1450:4001:80b::200e', '::ffff:8.8.8.8', '64:ff9b::8.8.8.8'];
  it.each(publicOnes)('%s is public', (ip) => {
    expect(isPrivateAddress(ip)).toBe(false);
    expect(addressClass(ip)).toBeUndefined();
  });
});

describe('isMetadataAddress', () => {
  it.each(['169.254.169.254', 'fd00:ec2::254', 'FD00:0EC2:0:0:0:0:0:254', '100.100.100.200', '168.63.129.16', '::ffff:169.254.169.254', '::ffff:a9fe:a9fe', '[fd00:ec2::254]'])('%s is a metadata address', (ip) => {
    expect(isMetadataAddress(ip)).toBe(true);
  });
  it.each(['169.254.169.253', '100.100.100.201', '10.0.0.1', 'fd00:ec2::253', '8.8.8.8', 'metadata.google.internal'])('%s is not', (ip) => {
    expect(isMetadataAddress(ip)).toBe(false);
  });
});

describe('isLoopbackAddress', () => {
  it('127/8, ::1 and mapped loopback only', () => {
    expect(['127.0.0.1', '127.1.2.3', '::1', '::ffff:127.0.0.1'].map(isLoopbackAddress)).toEqual([true, true, true, true]);
    expect(['10.0.0.1', '0.0.0.0', '::', '8.8.8.8'].map(isLoopbackAddress)).toEqual([false, false, false, false]);
  });
});
