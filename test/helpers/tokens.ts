import jwt from 'jsonwebtoken';
import { DEFAULT_AUDIENCE, DEFAULT_ISSUER, signToken, type AccessLevel } from '../../auth/token';
import { TEST_JWT_SECRET } from './env';

export const tokenFor = (level: AccessLevel, sub = `user-${level}`) =>
  signToken(TEST_JWT_SECRET, { sub, level, ttlSeconds: 600 });

export const bearer = (token: string) => ({ authorization: `Bearer ${token}` });

/** A token with arbitrary claims and options, for the cases signToken refuses to make. */
export const rawToken = (
  claims: object,
  options: jwt.SignOptions = { algorithm: 'HS256' },
  secret: jwt.Secret = TEST_JWT_SECRET,
) => jwt.sign(claims, secret, options);

/** The issuer and audience every token must carry (the test config uses the defaults). */
export const party = { iss: DEFAULT_ISSUER, aud: DEFAULT_AUDIENCE };

export const neuroweaverAccess = (level: string) => ({
  ...party,
  systems: [{ system: 'neuroweaver', level, resources: ['*'] }],
  roles: [],
  permissions: [],
});
