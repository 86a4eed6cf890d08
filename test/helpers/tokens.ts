import jwt from 'jsonwebtoken';
import { signToken, type AccessLevel } from '../../auth/token';
import { TEST_JWT_SECRET } from './env';

export const tokenFor = (level: AccessLevel, sub = `user-${level}`) =>
  signToken(TEST_JWT_SECRET, { sub, level, ttlSeconds: 600 });

export const bearer = (token: string) => ({ authorization: `Bearer ${token}` });

/** A token with arbitrary claims and options, for the cases signToken refuses to make. */
export const rawToken = (claims: object, options: jwt.SignOptions = { algorithm: 'HS256' }, secret: jwt.Secret = TEST_JWT_SECRET) =>
  jwt.sign(claims, secret, options);

export const neuroweaverAccess = (level: string) => ({ systems: [{ system: 'neuroweaver', level, resources: ['*'] }], roles: [], permissions: [] });
